/**
 * kernels.adamUpdate: the WebAssembly kernel (float32 arrays streamed through
 * its memory, two elements per f64x2) against its JS twin. Invariant: for any
 * length (below and above the streaming threshold, odd tails, several chunks),
 * any hyper-parameters and every option (AMSGrad, maximize, coupled L2,
 * decoupled decay, Keras's ε), parameter and state come out bit for bit the
 * same — kept gradients in WebAssembly memory included.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { AdamUpdateArgs } from '../src/backend/index.js';
import { defaultKernels, kernels } from '../src/backend/index.js';

const before = T.getBackend();
beforeAll(() => T.setBackend('wasm'));
afterAll(() => T.setBackend(before));

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** Seeded values of varied magnitude (a sine of a scaled index: no two arrays alike). */
const values = (n: number, seed: number, scale: number, positive = false) =>
  Float32Array.from({ length: n }, (_, i) => {
    const s = Math.sin(i * 0.731 + seed) * scale * (1 + (i % 5));
    return positive ? s * s : s;
  });

const options = fc.record({
  n: fc.oneof(fc.integer({ min: 1, max: 1200 }), fc.integer({ min: 1000, max: 40_000 })),
  seed: fc.integer({ min: 0, max: 1000 }),
  b1: fc.double({ min: 0, max: 0.999, noNaN: true }),
  b2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
  lr: fc.double({ min: 1e-5, max: 1, noNaN: true }),
  step: fc.integer({ min: 1, max: 50 }),
  eps: fc.constantFrom(1e-8, 1e-7, 1e-3),
  amsgrad: fc.boolean(),
  maximize: fc.boolean(),
  l2: fc.constantFrom(0, 1e-2),
  decay: fc.constantFrom(1, 1 - 1e-3),
  keras: fc.boolean(),
});

/** One drawn case: array length, seed and the optimizer's settings. */
type AdamCase = { n: number; seed: number; b1: number; b2: number; lr: number; step: number; eps: number; amsgrad: boolean; maximize: boolean; l2: number; decay: number; keras: boolean };

function argsFor(o: AdamCase, grad: Float32Array): AdamUpdateArgs {
  const { n, seed } = o;
  return {
    p: values(n, seed + 1, 0.5),
    grad,
    m: values(n, seed + 2, 1e-2),
    v: values(n, seed + 3, 1e-2, true),
    vmax: o.amsgrad ? values(n, seed + 4, 1e-2, true) : null,
    b1: o.b1,
    b2: o.b2,
    stepSize: o.lr / (1 - Math.pow(o.b1, o.step)),
    bc2Sqrt: Math.sqrt(1 - Math.pow(o.b2, o.step)),
    eps: o.eps,
    sign: o.maximize ? -1 : 1,
    l2: o.l2,
    decay: o.decay,
    keras: o.keras,
  };
}

function expectSameUpdate(make: (grad: Float32Array) => AdamUpdateArgs, grad: Float32Array, wasmGrad: Float32Array): void {
  const js = make(grad), wasm = make(wasmGrad);
  defaultKernels.adamUpdate(js);
  kernels.adamUpdate(wasm);
  expect(bits(wasm.p as Float32Array)).toEqual(bits(js.p as Float32Array));
  expect(bits(wasm.m as Float32Array)).toEqual(bits(js.m as Float32Array));
  expect(bits(wasm.v as Float32Array)).toEqual(bits(js.v as Float32Array));
  if (js.vmax) expect(bits(wasm.vmax as Float32Array)).toEqual(bits(js.vmax as Float32Array));
}

describe('kernels.adamUpdate on the WebAssembly backend', () => {
  it('is bitwise its JS twin for any length, hyper-parameters and options', () => {
    expect(kernels.adamUpdate).not.toBe(defaultKernels.adamUpdate);
    fc.assert(
      fc.property(options, (o) => {
        const grad = values(o.n, o.seed, 3);
        expectSameUpdate((g) => argsFor(o, g), grad, grad.slice());
      }),
      { numRuns: 60 },
    );
  });

  it('reads a gradient kept in WebAssembly memory where it lives, with the same result', () => {
    const n = 50_000;
    const param = new T.Tensor(new Float32Array(n), [n], true);
    param.grad = new T.Tensor(new Float32Array(n), [n]);
    param.grad = new T.Tensor(kernels.zeroKept(param.grad.data as Float32Array), [n]);
    const kept = param.grad.data as Float32Array;
    expect(kept.buffer).toBeInstanceOf(SharedArrayBuffer);
    const grad = values(n, 7, 2);
    kept.set(grad);
    const o = { n, seed: 3, b1: 0.9, b2: 0.999, lr: 1e-3, step: 3, eps: 1e-8, amsgrad: true, maximize: false, l2: 1e-2, decay: 1, keras: false };
    expectSameUpdate((g) => argsFor(o, g), grad, kept);
    expect(Array.from(kept)).toEqual(Array.from(grad)); // the gradient is only read
  });

  it('moves the parameter the way Adam does (a sanity anchor for both twins)', () => {
    // One step from m = v = 0 with bias correction: θ ← θ − lr·g/(|g| + ε') ≈ θ − lr·sign(g).
    const n = 4096;
    const args: AdamUpdateArgs = {
      p: new Float32Array(n), grad: Float32Array.from({ length: n }, (_, i) => (i % 2 ? 2 : -3)),
      m: new Float32Array(n), v: new Float32Array(n), vmax: null,
      b1: 0.9, b2: 0.999, stepSize: 0.1 / (1 - 0.9), bc2Sqrt: Math.sqrt(1 - 0.999), eps: 1e-8, sign: 1, l2: 0, decay: 1, keras: false,
    };
    kernels.adamUpdate(args);
    for (let i = 0; i < n; i++) expect(args.p[i]).toBeCloseTo(i % 2 ? -0.1 : 0.1, 6);
  });
});
