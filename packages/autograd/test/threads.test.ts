/**
 * Threads of the WebAssembly backend. Invariant: a result does not depend on
 * the number of threads — the wasm gemm with 1, 2 or 3 threads gives the same
 * bits on every transpose form, odd size, offset and accumulate; so do whole
 * LSTM/GRU/RNN forward and backward passes (their per-step products are
 * split inside the sequence kernels). Each test first checks that products
 * really were split (a split that never happens would pass vacuously).
 */
import fc from 'fast-check';
import { gemmOperands } from './arbitraries.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { wasmChunksRun, wasmSplitCount } from '../src/backend/select.js';
import { defaultKernels, kernels } from '../src/backend/index.js';

const before = T.getNumThreads();

/** Waits until n − 1 workers have joined (they start in the background on the first kernel call). */
async function threadsReady(n: number): Promise<void> {
  T.setNumThreads(n);
  const a = new Float32Array(64 * 64);
  for (let waited = 0; T.backendInfo().wasm.threads.workersReady < n - 1; waited += 10) {
    if (waited > 10_000) throw new Error(`workers did not start: ${JSON.stringify(T.backendInfo().wasm.threads)}`);
    kernels.gemm({ transA: false, transB: false, M: 64, N: 64, K: 64, a, aOffset: 0, b: a, bOffset: 0, c: new Float32Array(64 * 64), cOffset: 0, accumulate: false });
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  T.setBackend('wasm');
  await threadsReady(3);
});
afterAll(() => {
  T.setNumThreads(before);
});

/** Runs f with n threads and returns what it returns; products from f are split when n > 1. */
function withThreads<R>(n: number, f: () => R): R {
  T.setNumThreads(n);
  try {
    return f();
  } finally {
    T.setNumThreads(3);
  }
}

describe('threads of the WebAssembly backend', () => {
  it('are available in Node, reported by backendInfo, and setNumThreads/getNumThreads agree', () => {
    const info = T.backendInfo().wasm.threads;
    expect(info.available).toBe(true);
    expect(info.workersReady).toBeGreaterThanOrEqual(2);
    expect(T.setNumThreads(2)).toBe(2);
    expect(T.getNumThreads()).toBe(2);
    expect(T.backendInfo().wasm.threads.count).toBe(2);
    expect(T.setNumThreads(3)).toBe(3);
  });

  it('setNumThreads rejects what is not an integer from 1 to 16, by name, and keeps the count', () => {
    for (const bad of [0, -1, 1.5, 17, Number.NaN, '2', null, undefined]) {
      expect(() => T.setNumThreads(bad as number)).toThrow(T.ValueError);
      expect(() => T.setNumThreads(bad as number)).toThrow(/setNumThreads: n must be an integer ≥ 1 and ≤ 16/);
    }
    expect(T.getNumThreads()).toBe(3);
  });

  it('property: gemm gives identical bits with 1, 2 and 3 threads (every transpose, odd sizes, offsets, accumulate)', () => {
    const splitsBefore = wasmSplitCount();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        (M, N, K, tA, tB, acc, off) => {
          const { a, b, c0 } = gemmOperands(M, N, K, acc, off);
          const run = (n: number) => {
            const c = c0.slice();
            withThreads(n, () => kernels.gemm({ transA: tA, transB: tB, M, N, K, a, aOffset: off, b, bOffset: 2 * off, c, cOffset: off, accumulate: acc }));
            return c;
          };
          const one = run(1);
          expect(run(2)).toEqual(one);
          expect(run(3)).toEqual(one);
          // And still the right product: against the JS kernel (double accumulation), within float32 rounding.
          const want = c0.slice();
          defaultKernels.gemm({ transA: tA, transB: tB, M, N, K, a, aOffset: off, b, bOffset: 2 * off, c: want, cOffset: off, accumulate: acc });
          for (let i = off; i < want.length; i++) expect(Math.abs(one[i]! - want[i]!)).toBeLessThanOrEqual(4 * K * 2 ** -23 * (Math.abs(want[i]!) + K) + 1e-6);
        },
      ),
      { numRuns: 60 },
    );
    expect(wasmSplitCount()).toBeGreaterThan(splitsBefore);
  });

  it('workers really take part: a worker woken from sleep claims chunks of a long product', async () => {
    T.setNumThreads(2);
    const a = new Float32Array(512 * 512).fill(0.5);
    const before = wasmChunksRun()[1]!;
    for (let round = 0; round < 5 && wasmChunksRun()[1] === before; round++) {
      // Long enough idle for the worker to go to sleep, so the wake-up path is what is tested.
      await new Promise((r) => setTimeout(r, 50));
      kernels.gemm({ transA: false, transB: false, M: 512, N: 512, K: 512, a, aOffset: 0, b: a, bOffset: 0, c: new Float32Array(512 * 512), cOffset: 0, accumulate: false });
    }
    expect(wasmChunksRun()[1]).toBeGreaterThan(before);
    T.setNumThreads(3);
  });

  it('a product below the threshold stays on the calling thread; one above it is split', () => {
    const gemm = (M: number, N: number, K: number) => kernels.gemm({ transA: false, transB: false, M, N, K, a: new Float32Array(M * K), aOffset: 0, b: new Float32Array(K * N), bOffset: 0, c: new Float32Array(M * N), cOffset: 0, accumulate: false });
    let s = wasmSplitCount();
    gemm(8, 8, 8);
    expect(wasmSplitCount()).toBe(s);
    gemm(128, 128, 128);
    expect(wasmSplitCount()).toBe(s + 1);
    s = wasmSplitCount();
    withThreads(1, () => gemm(128, 128, 128));
    expect(wasmSplitCount()).toBe(s);
  });

  it('LSTM, GRU and RNN outputs and gradients are identical with 1 and 2 threads (batch rows split inside the sequence kernels), batch-first or not, reversed, odd sizes', () => {
    const configs = [
      { B: 32, S: 6, I: 12, H: 96, batchFirst: true, reverse: false },
      { B: 13, S: 40, I: 7, H: 30, batchFirst: false, reverse: true },
    ];
    for (const kind of ['lstm', 'gru', 'rnn'] as const)
      for (const { B, S, I, H, batchFirst, reverse } of configs) {
        const run = (n: number) =>
          withThreads(n, () => {
            T.manualSeed(7);
            const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
            const x = T.randn(batchFirst ? [B, S, I] : [S, B, I]);
            const param = (shape: number[], scale: number) => T.tensor(T.randn(shape).mul(scale).data, { shape, requiresGrad: true });
            const wih = param([G * H, I], 0.3), whh = param([G * H, H], 0.2), bih = param([G * H], 0.1), bhh = param([G * H], 0.1);
            const h0 = T.randn([B, H]).mul(0.5);
            const proj = T.linear(x, wih, bih);
            const options = { batchFirst, reverse };
            const [out, hT] =
              kind === 'lstm'
                ? T.lstmSequence(proj, h0, T.randn([B, H]).mul(0.5), whh, options)
                : kind === 'gru'
                  ? T.gruSequence(proj, h0, whh, bhh, options)
                  : T.rnnSequence(proj, h0, whh, options);
            const loss = out.mul(out).sum().add(hT!.sum());
            loss.backward();
            const grads = kind === 'gru' ? [wih, whh, bih, bhh] : [wih, whh, bih];
            return [out, ...grads.map((p) => p.grad!)].map((t) => Array.from(t.data as Float32Array));
          });
        const s = wasmSplitCount();
        const two = run(2);
        expect(wasmSplitCount(), kind).toBeGreaterThan(s);
        expect(two, `${kind} B=${B} H=${H}`).toEqual(run(1));
      }
  });
});
