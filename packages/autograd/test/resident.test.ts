/**
 * Storage inside WebAssembly memory ("resident"): the block heap it and the
 * kernels' scratch share, kept gradients moved there by zeroGrad({ setToNone:
 * false }), the clipping kernels that work on it in place, and its release on
 * collection. Invariants: heap blocks never overlap and free ranges stay
 * coalesced; a resident gradient accumulates exactly the values a JS one would; Σx² gives the
 * JS loop's bits on resident data (1 or 2 threads) and on JS arrays streamed
 * through the module; scaling is bitwise equal to the JS loop.
 */
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { defaultKernels, kernels } from '../src/backend/index.js';
import { wasmResidentBytes, wasmSplitCount } from '../src/backend/select.js';
import { WasmHeap } from '../src/backend/wasm/heap.js';
import { ResidentStorage } from '../src/backend/wasm/resident.js';

/** A stand-in for a WebAssembly memory: a byte length that grows by 64 KiB pages, up to a maximum. */
function fakeMemory(pages: number, maxPages: number) {
  let length = pages * 65536;
  return {
    get buffer() {
      return { byteLength: length } as ArrayBuffer;
    },
    grow(n: number) {
      if (length / 65536 + n > maxPages) throw new RangeError('maximum memory size exceeded');
      const old = length / 65536;
      length += n * 65536;
      return old;
    },
  };
}

const before = { backend: T.getBackend(), threads: T.getNumThreads() };
beforeAll(() => {
  T.setBackend('wasm');
});
afterAll(() => {
  T.setBackend(before.backend);
  T.setNumThreads(before.threads);
});

describe('WasmHeap (blocks of the module memory)', () => {
  it('keeps blocks aligned, inside the memory and disjoint, and free ranges sorted, disjoint and coalesced, over any alloc/release sequence', () => {
    const op = fc.oneof(fc.record({ alloc: fc.integer({ min: 1, max: 200_000 }) }), fc.record({ release: fc.nat() }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const memory = fakeMemory(2, 64);
        const heap = new WasmHeap(memory, 1000);
        const live: { at: number; bytes: number }[] = [];
        for (const o of ops) {
          if ('alloc' in o) {
            const at = heap.alloc(o.alloc);
            if (at !== null) live.push({ at, bytes: o.alloc });
          } else if (live.length > 0) {
            const [b] = live.splice(o.release % live.length, 1);
            expect(heap.release(b!.at)).toBeGreaterThanOrEqual(b!.bytes);
          }
          const end = memory.buffer.byteLength;
          const blocks = live.map((b) => ({ at: b.at, end: b.at + heap.sizeOf(b.at) })).sort((x, y) => x.at - y.at);
          for (const [i, b] of blocks.entries()) {
            expect(b.at % 64).toBe(0);
            expect(b.at).toBeGreaterThanOrEqual(1000);
            expect(b.end).toBeLessThanOrEqual(end);
            if (i > 0) expect(b.at).toBeGreaterThanOrEqual(blocks[i - 1]!.end);
          }
          const free = heap.freeRanges();
          for (const [i, r] of free.entries()) {
            if (i > 0) expect(r.at).toBeGreaterThan(free[i - 1]!.at + free[i - 1]!.size); // sorted, and never touching (else merged)
            for (const b of blocks) expect(r.at + r.size <= b.at || r.at >= b.end).toBe(true);
          }
          expect(heap.allocatedBytes).toBe(blocks.reduce((s, b) => s + b.end - b.at, 0));
        }
        for (const b of live) heap.release(b.at);
        // Everything released: one free range from the start to the end.
        expect(heap.freeRanges()).toEqual([{ at: 1024, size: memory.buffer.byteLength - 1024 }]);
      }),
      { numRuns: 300 },
    );
  });

  it('grows the memory when nothing fits, returns null when it cannot grow, and refuses a double release', () => {
    const memory = fakeMemory(1, 4);
    const heap = new WasmHeap(memory, 0);
    const a = heap.alloc(60_000)!;
    const b = heap.alloc(100_000);
    expect(b).not.toBeNull();
    expect(memory.buffer.byteLength).toBeGreaterThan(65536);
    expect(heap.alloc(4 * 65536)).toBeNull();
    heap.release(a);
    expect(() => heap.release(a)).toThrow(RangeError);
    expect(heap.alloc(60_000)).toBe(a); // first fit reuses the hole
  });
});

describe('ResidentStorage', () => {
  it('hands out zeroed views within its budget, knows its own views (and only them), and falls back past the budget', () => {
    const sab = new SharedArrayBuffer(1 << 20);
    new Float32Array(sab).fill(7); // stale contents a new block must not show
    const memory = { buffer: sab as unknown as ArrayBuffer, grow: () => { throw new RangeError('no'); } };
    const store = new ResidentStorage(new WasmHeap(memory, 0), memory, 200_000);
    const a = store.zeros(20_000)!;
    expect(a.length).toBe(20_000);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(store.offsetOf(a)).toBe(a.byteOffset);
    expect(store.offsetOf(new Float32Array(20_000))).toBe(-1);
    expect(store.offsetOf(new Float32Array(new SharedArrayBuffer(64)))).toBe(-1);
    expect(store.liveBytes).toBeGreaterThanOrEqual(80_000);
    const b = store.zeros(20_000)!;
    expect(store.offsetOf(b)).not.toBe(store.offsetOf(a));
    expect(store.zeros(20_000)).toBeNull(); // a third would pass the 200 kB budget
  });
});

/** A float32 leaf of n values whose gradient after backward is `g` (the gradient of Σ x·g). */
function leafWithGrad(g: Float32Array): T.Tensor {
  const x = new T.Tensor(new Float32Array(g.length), [g.length], true);
  T.mul(x, new T.Tensor(g, [g.length])).sum().backward();
  return x;
}
const isResident = (a: T.Tensor['data']) => a.buffer instanceof SharedArrayBuffer;

describe('kept gradients in WebAssembly memory (kernels.zeroKept, behind zeroGrad({ setToNone: false }))', () => {
  it('a float32 gradient of 1024 values or more moves into WebAssembly memory once, zeroed, and then accumulates exactly as a JS one', () => {
    const g = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const x = leafWithGrad(g);
    expect(isResident(x.grad!.data)).toBe(false); // a fresh gradient is a JS array
    const held = wasmResidentBytes();
    x.grad!.data = kernels.zeroKept(x.grad!.data as Float32Array);
    const storage = x.grad!.data;
    expect(isResident(storage)).toBe(true);
    expect(storage.every((v) => v === 0)).toBe(true);
    expect(wasmResidentBytes()).toBeGreaterThanOrEqual(held + 5000 * 4);
    T.mul(x, new T.Tensor(g, [g.length])).sum().backward();
    T.mul(x, new T.Tensor(g, [g.length])).sum().backward();
    expect(x.grad!.data).toBe(storage); // accumulated in place, in the same storage
    expect(Array.from(x.grad!.data)).toEqual(Array.from(g, (v) => Math.fround(v + v)));
    // Zeroing again keeps the same block.
    expect(kernels.zeroKept(storage as Float32Array)).toBe(storage);
    expect(storage.every((v) => v === 0)).toBe(true);
    expect(wasmResidentBytes()).toBeLessThan(held + 5000 * 4 + 4096);
  });

  it('small and float64 gradients, and every gradient on the JS backend, are zeroed where they are', () => {
    const small = new Float32Array(100).fill(1);
    expect(kernels.zeroKept(small)).toBe(small);
    expect(small.every((v) => v === 0)).toBe(true);
    const f64 = new Float64Array(5000).fill(1);
    expect(kernels.zeroKept(f64)).toBe(f64);
    T.setBackend('js');
    try {
      const big = new Float32Array(5000).fill(1);
      expect(kernels.zeroKept(big)).toBe(big);
      expect(big.every((v) => v === 0)).toBe(true);
    } finally {
      T.setBackend('wasm');
    }
  });

  it('survives kernel calls that grow the scratch: a large product after it leaves a kept gradient intact', () => {
    const g = Float32Array.from({ length: 4096 }, (_, i) => i);
    const kept = kernels.zeroKept(new Float32Array(4096)) as Float32Array;
    kept.set(g);
    const a = T.randn([700, 700], { dtype: 'float32' });
    const c = T.matmul(a, a);
    const ref = new Float32Array(700 * 700);
    defaultKernels.gemm({ transA: false, transB: false, M: 700, N: 700, K: 700, a: a.data as Float32Array, aOffset: 0, b: a.data as Float32Array, bOffset: 0, c: ref, cOffset: 0, accumulate: false });
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - c.data[i]!));
    expect(worst).toBeLessThan(1e-3);
    expect(Array.from(kept)).toEqual(Array.from(g));
  });
});

describe('clipping kernels on resident data', () => {
  const residentCopy = (src: Float32Array) => {
    const kept = kernels.zeroKept(new Float32Array(src.length)) as Float32Array;
    kept.set(src);
    return kept;
  };

  it('Σx² gives the JS loop\'s bits wherever the data live: resident on 1 or 2 threads, or a JS array streamed through the module', async () => {
    T.setNumThreads(2);
    for (let waited = 0; T.backendInfo().wasm.threads.workersReady < 1 && waited < 10_000; waited += 10) {
      T.matmul(T.ones([64, 64]), T.ones([64, 64]));
      await new Promise((r) => setTimeout(r, 10));
    }
    const splitsBefore = wasmSplitCount();
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 300_000 }), fc.integer(), (n, seed) => {
        const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + (i % 7)));
        const x = residentCopy(src);
        expect(x.buffer).toBeInstanceOf(SharedArrayBuffer);
        const js = defaultKernels.sumSquares(src);
        T.setNumThreads(1);
        const one = kernels.sumSquares(x);
        T.setNumThreads(2);
        const two = kernels.sumSquares(x);
        const streamed = kernels.sumSquares(src);
        expect([one, two, streamed]).toEqual([js, js, js]);
      }),
      { numRuns: 25 },
    );
    expect(wasmSplitCount()).toBeGreaterThan(splitsBefore); // the sums of 128k values or more were split
  });

  it('Σx² of a JS array of any size (below and above the streaming threshold, ragged last block) is the JS loop\'s, bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 1e-30, max: 1e30, noNaN: true }), (n, scale) => {
        const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + n) * scale);
        expect(Object.is(kernels.sumSquares(src), defaultKernels.sumSquares(src))).toBe(true);
      }),
      { numRuns: 40 },
    );
    const nan = new Float32Array(50_000);
    nan[40_000] = NaN;
    expect(kernels.sumSquares(nan)).toBeNaN();
  });

  it('scaling a JS array streamed through the module is bitwise the JS loop, and the array stays the caller\'s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: -4, max: 4, noNaN: true }), (n, s) => {
        const src = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11) * 1e3);
        const x = src.slice();
        kernels.scaleInPlace(x, s);
        defaultKernels.scaleInPlace(src, s);
        expect(x.buffer).not.toBeInstanceOf(SharedArrayBuffer);
        expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(src.buffer, src.byteOffset, src.byteLength))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('scaling is bitwise equal to the JS loop (a float32 product), in place, with threads or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 300_000 }), fc.double({ min: -4, max: 4, noNaN: true }), fc.integer({ min: 1, max: 2 }), (n, s, threads) => {
        T.setNumThreads(threads);
        const src = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11) * 1e3);
        const x = residentCopy(src);
        kernels.scaleInPlace(x, s);
        defaultKernels.scaleInPlace(src, s);
        expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(src.buffer, src.byteOffset, src.byteLength))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('accumulating into resident data is bitwise the JS loop (a float32 sum), with threads or not; zeroing it keeps the storage', () => {
    const splitsBefore = wasmSplitCount();
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 300_000 }), fc.integer({ min: 1, max: 2 }), (n, threads) => {
        T.setNumThreads(threads);
        const start = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.3) * 1e-3);
        const g = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 1e2);
        const x = residentCopy(start);
        kernels.addInPlace(x, g);
        defaultKernels.addInPlace(start, g);
        expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(start.buffer, start.byteOffset, start.byteLength))).toBe(true);
        expect(kernels.zeroKept(x)).toBe(x);
        expect(x.every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 25 },
    );
    expect(wasmSplitCount()).toBeGreaterThan(splitsBefore);
  });

  it('scaling rounds s to float32 and multiplies in float32, as PyTorch does for a float32 gradient', () => {
    const x = residentCopy(Float32Array.from({ length: 2048 }, (_, i) => 1 + i / 3));
    const s = 1 / 3;
    const expected = Float32Array.from(x, (v) => Math.fround(v * Math.fround(s)));
    kernels.scaleInPlace(x, s);
    expect(Array.from(x)).toEqual(Array.from(expected));
  });
});

describe('release of resident storage', () => {
  it('returns the blocks of collected storage to the heap', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    await collect();
    const start = wasmResidentBytes();
    for (let k = 0; k < 20; k++) expect(isResident(kernels.zeroKept(new Float32Array(250_000)))).toBe(true); // 1 MB each, dropped at once
    expect(wasmResidentBytes()).toBeGreaterThanOrEqual(start + 20 * 1_000_000);
    await collect();
    expect(wasmResidentBytes()).toBeLessThan(start + 1_000_000);
  });
});
