/**
 * The WebAssembly backend against its JS twin. Invariant: for float32 the
 * wasm gemm equals the JS gemm (which accumulates in double) within float32
 * rounding of a K-term dot product — |Δ| ≤ 4·K·ε₃₂·Σ|a||b| per entry — on
 * every transpose form, on sizes that are not multiples of the 4×8 register
 * block or the MC/KC/NC cache blocks, at any offsets, with and without
 * accumulation; float64 goes to the JS kernel unchanged.
 */
import fc from 'fast-check';
import { gemmOperands } from './arbitraries.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { wasmActivation } from '../src/backend/select.js';
import { defaultKernels, kernels } from '../src/backend/index.js';

const EPS32 = 2 ** -23;

afterEach(() => T.setBackend('wasm'));

describe('the WebAssembly backend', () => {
  it('loads here (relaxed-SIMD FMA or plain SIMD) and is the default', () => {
    const info = T.backendInfo();
    expect(info.wasm.available).toBe(true);
    expect(info.wasm.variant).toMatch(/^(relaxed-simd|simd)$/);
    expect(T.getBackend()).toBe(process.env.TAPEGRAD_BACKEND ?? 'wasm');
  });
  it('setBackend swaps the gemm kernel and back; an unknown backend is a named error', () => {
    T.setBackend('js');
    expect(T.getBackend()).toBe('js');
    expect(kernels.gemm).toBe(defaultKernels.gemm);
    T.setBackend('wasm');
    expect(kernels.gemm).not.toBe(defaultKernels.gemm);
    expect(() => T.setBackend('gpu' as never)).toThrow("setBackend: backend must be 'wasm' or 'js', got 'gpu'");
    expect(T.getBackend()).toBe('wasm');
  });
  it('property: wasm gemm = JS gemm within float32 rounding, every transpose, odd sizes, offsets, accumulate', () => {
    T.setBackend('wasm');
    const wasmGemm = kernels.gemm;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 40 }),
        fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 250, max: 530 })),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        (M, N, K, tA, tB, acc, off) => {
          const { a, b, c0 } = gemmOperands(M, N, K, acc, off);
          const want = c0.slice(), got = c0.slice();
          const args = { transA: tA, transB: tB, M, N, K, a, aOffset: off, b, bOffset: 2 * off, cOffset: off, accumulate: acc };
          defaultKernels.gemm({ ...args, c: want });
          wasmGemm({ ...args, c: got });
          for (let i = 0; i < off; i++) expect(got[i]).toBe(c0[i]); // outside the block: untouched
          for (let i = off; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(4 * Math.max(K, 1) * EPS32 * (Math.abs(want[i]!) + K) + 1e-6);
        },
      ),
      { numRuns: 150 },
    );
  });
  it('property: linear forward and backward (one call each) equal the JS kernels within float32 rounding, with and without bias and each gradient', () => {
    T.setBackend('wasm');
    const wasmForward = kernels.linearForward, wasmBackward = kernels.linearBackward;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (rows, inF, outF, withBias, wantX, wantW, wantB) => {
        const x = Float32Array.from({ length: rows * inF }, (_, i) => Math.sin(i * 0.37 + 1));
        const w = Float32Array.from({ length: outF * inF }, (_, i) => Math.cos(i * 0.91));
        const bias = withBias ? Float32Array.from({ length: outF }, (_, i) => Math.sin(i * 3.1)) : null;
        const want = new Float32Array(rows * outF), got = new Float32Array(rows * outF);
        defaultKernels.linearForward({ rows, inF, outF, x, w, bias, out: want });
        wasmForward({ rows, inF, outF, x, w, bias, out: got });
        const close = (a: Float32Array, b: Float32Array, K: number) => {
          for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(4 * K * EPS32 * (Math.abs(a[i]!) + K) + 1e-6);
        };
        close(want, got, inF + 1);
        const g = Float32Array.from({ length: rows * outF }, (_, i) => Math.sin(i * 0.13 - 2));
        const grads = () => ({ gx: wantX ? new Float32Array(rows * inF) : null, gw: wantW ? new Float32Array(outF * inF) : null, gb: wantB ? new Float32Array(outF) : null });
        const a = grads(), b = grads();
        defaultKernels.linearBackward({ rows, inF, outF, g, x, w, ...a });
        wasmBackward({ rows, inF, outF, g, x, w, ...b });
        if (a.gx) close(a.gx, b.gx!, outF);
        if (a.gw) close(a.gw, b.gw!, rows);
        if (a.gb) close(a.gb, b.gb!, rows);
      }),
      { numRuns: 120 },
    );
    expect(wasmForward).not.toBe(defaultKernels.linearForward);
  });
  it('a large product crosses every cache block (MC 64, KC 256, NC 1024) and still matches', () => {
    const M = 131, N = 1030, K = 520;
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.3));
    const want = new Float32Array(M * N), got = new Float32Array(M * N);
    const args = { transA: false, transB: true, M, N, K, a, aOffset: 0, b, bOffset: 0, cOffset: 0, accumulate: false };
    defaultKernels.gemm({ ...args, c: want });
    kernels.gemm({ ...args, c: got });
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (Math.abs(want[i]!) + 1));
    expect(worst).toBeLessThan(1e-4);
  });
  it('subnormal float32 inputs are flushed to zero (DAZ), changing a result by less than 1.2e-38·Σ|b|, and normal ones are kept', () => {
    const K = 64;
    const a = new Float32Array(K).fill(1e-39); // subnormal in float32
    a[0] = 1e-30; // normal, and tiny
    const b = new Float32Array(K).fill(1);
    const c = new Float32Array(1);
    kernels.gemm({ transA: false, transB: false, M: 1, N: 1, K, a, aOffset: 0, b, bOffset: 0, c, cOffset: 0, accumulate: false });
    expect(c[0]).toBe(Math.fround(1e-30));
    expect(Math.abs(c[0]! - (1e-30 + 63e-39))).toBeLessThan(1.2e-38 * K);
  });
  it('float64 products run on the JS kernel, bit for bit', () => {
    const a = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i)), b = Float64Array.from({ length: 20 }, (_, i) => Math.cos(i));
    const want = new Float64Array(15), got = new Float64Array(15);
    const args = { transA: false, transB: false, M: 3, N: 5, K: 4, a, aOffset: 0, b, bOffset: 0, cOffset: 0, accumulate: false };
    defaultKernels.gemm({ ...args, c: want });
    kernels.gemm({ ...args, c: got });
    expect(Array.from(got)).toEqual(Array.from(want));
  });
  it('an LSTM trains to the same losses on both backends within float32 rounding', () => {
    const run = (backend: 'js' | 'wasm') => {
      T.setBackend(backend);
      const g = new T.Generator(3);
      const w = T.randn([16, 12], { generator: g, requiresGrad: true });
      const x = T.randn([8, 16], { generator: g });
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const loss = x.matmul(w).tanh().pow(2).mean();
        loss.backward();
        T.noGrad(() => w.data.forEach((v, k) => (w.data[k] = v - 0.5 * w.grad!.data[k]!)));
        w.grad = null;
        losses.push(loss.item());
      }
      return losses;
    };
    const js = run('js'), wasm = run('wasm');
    wasm.forEach((l, i) => expect(l).toBeCloseTo(js[i]!, 5));
  });
});

/** Distance in float32 units in the last place between two float32 values. */
function ulps(a: number, b: number): number {
  const buf = new Float32Array([a, b]);
  const [ia, ib] = new Int32Array(buf.buffer);
  const key = (i: number) => (i < 0 ? -2147483648 - i : i);
  return Math.abs(key(ia!) - key(ib!));
}

describe('the SIMD activations of the wasm LSTM kernel', () => {
  it('tanh and σ are within 3 float32 ulps of the correctly rounded value over [−20, 20], exp within 3 ulps over [−80, 80]', () => {
    const n = 200_001;
    const x = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1));
    const worst = { tanh: 0, sigmoid: 0, exp: 0 };
    const t = x.slice(), s = x.slice();
    wasmActivation(2, t);
    wasmActivation(1, s);
    for (let i = 0; i < n; i++) {
      worst.tanh = Math.max(worst.tanh, ulps(t[i]!, Math.fround(Math.tanh(x[i]!))));
      worst.sigmoid = Math.max(worst.sigmoid, ulps(s[i]!, Math.fround(1 / (1 + Math.exp(-x[i]!)))));
    }
    const e = Float32Array.from({ length: n }, (_, i) => -80 + (160 * i) / (n - 1));
    const ee = e.slice();
    wasmActivation(0, ee);
    for (let i = 0; i < n; i++) worst.exp = Math.max(worst.exp, ulps(ee[i]!, Math.fround(Math.exp(e[i]!))));
    console.log(`wasm activation error (float32 ulps): tanh ${worst.tanh}, sigmoid ${worst.sigmoid}, exp ${worst.exp}`);
    expect(worst.tanh).toBeLessThanOrEqual(3);
    expect(worst.sigmoid).toBeLessThanOrEqual(3);
    expect(worst.exp).toBeLessThanOrEqual(3);
    // Saturation: no NaN or overflow at extreme inputs.
    const ext = Float32Array.from([-1e30, -100, 100, 1e30, 0, -0]);
    const te = ext.slice(), se = ext.slice();
    wasmActivation(2, te);
    wasmActivation(1, se);
    expect(Array.from(te).map((v) => v + 0)).toEqual([-1, -1, 1, 1, 0, 0]); // + 0: the sign of tanh(−0) is not promised
    expect(se.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('the wasm LSTM sequence forward', () => {
  it('property: equals the JS kernel on float32 (outputs, states, saved activations) within float32 rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 11 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 50 }), (T_, B, H, batchFirst, reverse, seed) => {
        const G = 4 * H;
        const g = new T.Generator(seed);
        const rnd = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
        const proj = rnd(T_ * B * G, 2), whh = rnd(G * H, 0.5), h0 = rnd(B * H), c0 = rnd(B * H);
        const make = () => {
          const hs = new Float32Array((T_ + 1) * B * H), cs = new Float32Array((T_ + 1) * B * H);
          hs.set(h0);
          cs.set(c0);
          return { T: T_, B, H, proj, whh, hs, cs, acts: new Float32Array(T_ * B * G), tanhC: new Float32Array(T_ * B * H), out: new Float32Array(T_ * B * H), batchFirst, reverse };
        };
        const js = make(), wasm = make();
        defaultKernels.lstmForward(js);
        kernels.lstmForward(wasm);
        for (const key of ['hs', 'cs', 'acts', 'tanhC', 'out'] as const) js[key].forEach((v, i) => expect(Math.abs(wasm[key][i]! - v)).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(v)) * T_));
      }),
      { numRuns: 100 },
    );
  });
});

describe('the wasm LSTM sequence backward', () => {
  it('property: equals the JS kernel on float32 (dproj, dh0, dc0, dW_hh) within float32 rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 50 }), (T_, B, H, batchFirst, reverse, wantDw, seed) => {
        const G = 4 * H;
        const g = new T.Generator(seed);
        const rnd = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
        const fwd = { T: T_, B, H, proj: rnd(T_ * B * G, 2), whh: rnd(G * H, 0.5), hs: new Float32Array((T_ + 1) * B * H), cs: new Float32Array((T_ + 1) * B * H), acts: new Float32Array(T_ * B * G), tanhC: new Float32Array(T_ * B * H), out: new Float32Array(T_ * B * H), batchFirst, reverse };
        fwd.hs.set(rnd(B * H));
        fwd.cs.set(rnd(B * H));
        defaultKernels.lstmForward(fwd);
        const gOut = rnd(T_ * B * H), dh0 = rnd(B * H), dc0 = rnd(B * H);
        const make = () => ({ T: T_, B, H, acts: fwd.acts, cs: fwd.cs, tanhC: fwd.tanhC, hs: fwd.hs, whh: fwd.whh, gOut, dh: dh0.slice(), dc: dc0.slice(), dproj: new Float32Array(T_ * B * G), dw: wantDw ? new Float32Array(G * H) : null, batchFirst, reverse });
        const js = make(), wasm = make();
        defaultKernels.lstmBackward(js);
        kernels.lstmBackward(wasm);
        for (const key of ['dproj', 'dh', 'dc', 'dw'] as const) {
          const a = js[key], b = wasm[key];
          if (a === null || b === null) {
            expect(b).toBe(a);
            continue;
          }
          a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(5e-5 * (1 + Math.abs(v)) * T_ * Math.max(1, B / 2)));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('the wasm Elman RNN sequence kernels', () => {
  it('property: forward and backward equal the JS kernels on float32 (tanh and relu, both layouts and directions)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 50 }), (T_, B, H, relu, batchFirst, reverse, wantDw, seed) => {
        const g = new T.Generator(seed);
        const rnd = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
        const proj = rnd(T_ * B * H), whh = rnd(H * H, 0.4), h0 = rnd(B * H);
        const fwd = () => {
          const hs = new Float32Array((T_ + 1) * B * H);
          hs.set(h0);
          return { T: T_, B, H, proj, whh, hs, out: new Float32Array(T_ * B * H), relu, batchFirst, reverse };
        };
        const js = fwd(), wasm = fwd();
        defaultKernels.rnnForward(js);
        kernels.rnnForward(wasm);
        const close = (a: Float32Array, b: Float32Array, scale: number) => a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(scale * (1 + Math.abs(v))));
        close(js.hs, wasm.hs, 2e-5 * T_);
        close(js.out, wasm.out, 2e-5 * T_);
        const gOut = rnd(T_ * B * H), dh0 = rnd(B * H);
        const back = () => ({ T: T_, B, H, hs: js.hs, whh, gOut, dh: dh0.slice(), dproj: new Float32Array(T_ * B * H), dw: wantDw ? new Float32Array(H * H) : null, relu, batchFirst, reverse });
        const jb = back(), wb = back();
        defaultKernels.rnnBackward(jb);
        kernels.rnnBackward(wb);
        const tol = 5e-5 * T_ * Math.max(1, H / 4) * Math.max(1, B / 2);
        close(jb.dproj, wb.dproj, tol);
        close(jb.dh, wb.dh, tol);
        if (jb.dw) close(jb.dw, wb.dw!, tol);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the wasm GRU sequence kernels', () => {
  it('property: forward and backward equal the JS kernels on float32 (with and without b_hh, both layouts and directions)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 50 }), (T_, B, H, withBias, batchFirst, reverse, wantDw, seed) => {
        const G = 3 * H;
        const g = new T.Generator(seed);
        const rnd = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
        const proj = rnd(T_ * B * G), whh = rnd(G * H, 0.4), bhh = withBias ? rnd(G, 0.5) : null, h0 = rnd(B * H);
        const fwd = () => {
          const hs = new Float32Array((T_ + 1) * B * H);
          hs.set(h0);
          return { T: T_, B, H, proj, whh, bhh, hs, hps: new Float32Array(T_ * B * G), acts: new Float32Array(T_ * B * G), out: new Float32Array(T_ * B * H), batchFirst, reverse };
        };
        const js = fwd(), wasm = fwd();
        defaultKernels.gruForward(js);
        kernels.gruForward(wasm);
        const close = (a: Float32Array, b: Float32Array, scale: number) => a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(scale * (1 + Math.abs(v))));
        for (const key of ['hs', 'hps', 'acts', 'out'] as const) close(js[key], wasm[key], 2e-5 * T_);
        const gOut = rnd(T_ * B * H), dh0 = rnd(B * H);
        const back = () => ({ T: T_, B, H, hs: js.hs, hps: js.hps, acts: js.acts, whh, gOut, dh: dh0.slice(), dproj: new Float32Array(T_ * B * G), dw: wantDw ? new Float32Array(G * H) : null, db: withBias ? new Float32Array(G) : null, batchFirst, reverse });
        const jb = back(), wb = back();
        defaultKernels.gruBackward(jb);
        kernels.gruBackward(wb);
        const tol = 5e-5 * T_ * Math.max(1, H / 4) * Math.max(1, B / 2);
        close(jb.dproj, wb.dproj, tol);
        close(jb.dh, wb.dh, tol);
        if (jb.dw) close(jb.dw, wb.dw!, tol);
        if (jb.db) close(jb.db, wb.db!, tol);
      }),
      { numRuns: 100 },
    );
  });
});
