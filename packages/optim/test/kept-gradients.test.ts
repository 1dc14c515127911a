/**
 * Gradients kept across steps (zeroGrad({ setToNone: false })) on the
 * WebAssembly backend live in WebAssembly memory, where clipping works in
 * place. Invariant: a training run gives the same parameters, reports and
 * gradients whether its gradients are kept (resident) or fresh JS arrays —
 * bit for bit for the scaled gradients and parameters, and the reported
 * norms within float64 rounding (the sum of squares is added in another order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { Adam, clipByGlobalNorm } from '../src/index.js';

const before = T.getBackend();
beforeAll(() => T.setBackend('wasm'));
afterAll(() => T.setBackend(before));

/** Three float32 parameters (two large enough to be kept in WebAssembly memory) and a loss on them. */
function problem() {
  const gen = new T.Generator(7);
  const params = [T.randn([300, 20], { generator: gen, dtype: 'float32' }), T.randn([5000], { generator: gen, dtype: 'float32' }), T.randn([10], { generator: gen, dtype: 'float32' })].map((p) => p.requiresGrad_());
  const targets = params.map((p) => T.randn([...p.shape], { generator: gen, dtype: 'float32' }));
  const loss = () => params.reduce((acc, p, i) => T.add(acc, T.mul(p, targets[i]!).pow(2).sum()), T.zeros([], { dtype: 'float32' }));
  return { params, loss };
}

function train(setToNone: boolean, steps: number) {
  const { params, loss } = problem();
  const reports: number[] = [];
  const opt = new Adam(params, { lr: 1e-2, clip: clipByGlobalNorm(0.5) });
  opt.registerStepPostHook((_o, r) => reports.push(r.clip!.normBefore));
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad({ setToNone });
    loss().backward();
    opt.step();
  }
  return { params, reports };
}

describe('kept gradients (zeroGrad({ setToNone: false })) on the WebAssembly backend', () => {
  it('move into WebAssembly memory once and stay there (same storage every step)', () => {
    const { params, loss } = problem();
    const opt = new Adam(params, { lr: 1e-2, clip: clipByGlobalNorm(0.5) });
    loss().backward();
    opt.zeroGrad({ setToNone: false });
    const storage = params.map((p) => p.grad!.data);
    expect(storage.map((d) => d.buffer instanceof SharedArrayBuffer)).toEqual([true, true, false]); // the 10-value one is too small to be worth a block
    for (let s = 0; s < 3; s++) {
      loss().backward();
      opt.step();
      opt.zeroGrad({ setToNone: false });
    }
    params.forEach((p, i) => expect(p.grad!.data).toBe(storage[i]));
  });

  it('train to the same bits as fresh JS gradients: parameters after 5 clipped Adam steps, and the same clip reports', () => {
    const kept = train(false, 5);
    const fresh = train(true, 5);
    expect(kept.params[1]!.grad!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(fresh.params[1]!.grad!.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(kept.reports.every((n) => n > 0.5)).toBe(true); // every step clipped
    kept.reports.forEach((n, i) => expect(Math.abs(n - fresh.reports[i]!)).toBeLessThanOrEqual(1e-12 * n));
    kept.params.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(fresh.params[i]!.data)));
  });
});
