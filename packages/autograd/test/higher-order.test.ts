/**
 * Higher-order gradients: every op family's recorded backward is checked by
 * gradgradcheck (second derivatives against central differences of the
 * first), nested transforms against closed forms, the functional helpers
 * against each other, and the edges (unused inputs, freed graphs, custom ops
 * without a differentiable backward) against PyTorch's semantics.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { broadcastPairArb, shapeArb, tensorArb } from './arbitraries.js';
import { binaryCases, unaryCases } from './op-cases.js';

const RUNS = { numRuns: 8 };
const f64 = (data: number[] | number[][], requiresGrad = true) => T.tensor(data, { dtype: 'float64', requiresGrad });
const arr = (t: Tensor) => Array.from(t.data);
const gg = (fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[]) => {
  const r = T.gradgradcheck(fn, inputs, { atol: 1e-5, rtol: 1e-4, raiseException: false });
  expect(r.message ?? 'ok').toBe('ok');
};
const randn = (shape: number[], seed: number, requiresGrad = true) => T.randn(shape, { dtype: 'float64', generator: new T.Generator(seed) }).requiresGrad_(requiresGrad);

describe('gradgradcheck: second derivatives of every op family match central differences of the first', () => {
  for (const [name, fn, range] of unaryCases) {
    it(`${name}: invariant — the recorded gradient of its gradient equals the finite difference of its gradient`, () => {
      fc.assert(fc.property(shapeArb(2, 3).chain((s) => tensorArb(s, range)), (x) => gg(fn, [x])), RUNS);
    });
  }
  for (const [name, fn, ra, rb] of binaryCases) {
    it(`${name}: invariant — second derivatives hold under broadcasting (summed back to each shape)`, () => {
      fc.assert(fc.property(broadcastPairArb.chain(([sa, sb]) => fc.tuple(tensorArb(sa, ra), tensorArb(sb, rb))), ([a, b]) => gg(fn, [a, b])), RUNS);
    });
  }
  const structural: [string, (...xs: Tensor[]) => Tensor | Tensor[], () => Tensor[]][] = [
    ['where', (a, b) => T.where(T.gt(T.tensor([1, -1, 1], { dtype: 'float64' }), 0), T.mul(a, a), T.mul(b, a)), () => [randn([2, 3], 1), randn([3], 2)]],
    ['sum over a dim', (x) => T.square(T.sum(T.mul(x, x), 1)), () => [randn([2, 3, 2], 3)]],
    ['mean / var / std', (x) => T.add(T.sum(T.variance(x, 1)), T.mul(T.sum(T.std(x, 0)), T.mean(x))), () => [randn([3, 4], 4)]],
    ['logsumexp / softmax / logSoftmax', (x) => [T.logsumexp(x, 1), T.softmax(x, 0), T.logSoftmax(x, 1)], () => [randn([3, 4], 5)]],
    ['max and min along a dim, max of all', (x) => [T.mul(T.max(x, 1, true), x), T.mul(T.min(x, 0, true), x), T.mul(T.max(x), x)], () => [randn([3, 4], 6)]],
    ['norm p = 2, 1, 3, ∞', (x) => [T.norm(x, 2, 1), T.norm(x, 1), T.norm(x, 3, 0), T.mul(T.norm(x, Infinity), x)], () => [randn([3, 4], 7)]],
    ['matmul: batched, broadcast, 1-D', (a, b, v) => [T.matmul(a, b), T.matmul(T.tanh(b), v), T.matmul(v, T.transpose(T.sin(b), -2, -1))], () => [randn([2, 3, 4], 8), randn([4, 5], 9), randn([5], 10)]],
    ['linear with bias', (x, w, b) => T.tanh(T.linear(x, w, b)), () => [randn([2, 3, 4], 11), randn([5, 4], 12), randn([5], 13)]],
    ['reshape / permute / slice / narrow / select', (x) => T.mul(T.permute(T.reshape(x, [3, 2, 2]), [2, 0, 1]), T.slice(T.narrow(T.select(T.reshape(x, [2, 6]), 0, 1), 0, 0, 4), 0, 0, 4, 2).sum()), () => [randn([4, 3], 14)]],
    ['cat / stack / unbind / split / chunk / expand', (a, b) => {
      const [p, q] = T.unbind(T.stack([a, b], 1), 1) as [Tensor, Tensor];
      return T.mul(T.cat([...T.chunk(T.mul(p, q), 2, 0), T.expand(T.sum(b, 0, true), [1, 3])], 0), T.cat(T.split(a, 1, 0), 0).sum());
    }, () => [randn([4, 3], 15), randn([4, 3], 16)]],
    ['indexSelect / embedding / gather', (w) => [T.mul(T.indexSelect(w, 0, [2, 0, 2]), T.embedding(w, T.tensor([[1, 2]], { dtype: 'int32' })).sum()), T.mul(T.gather(w, 1, T.tensor([[0, 1], [1, 1], [2, 0]], { dtype: 'int32' })), w.sum())], () => [randn([3, 3], 17)]],
    ['to(float32) and back', (x) => T.to(T.mul(T.to(T.mul(x, x), 'float64'), x), 'float64'), () => [randn([3], 18)]],
    ['crossEntropy / mseLoss / bceWithLogits / huberLoss', (x, t) => [
      T.crossEntropy(T.mul(x, x), T.tensor([0, 2, 1], { dtype: 'int32' }), { labelSmoothing: 0.1 }),
      T.mseLoss(T.tanh(x), t),
      T.bceWithLogits(T.mul(x, 2), T.sigmoid(t), { posWeight: T.tensor([1, 2, 0.5], { dtype: 'float64' }) }),
      T.huberLoss(x, t, { delta: 10 }),
    ], () => [randn([3, 3], 19), randn([3, 3], 20)]],
    ['clipGradient (a custom op with backwardGraph)', (x) => T.clipGradient(T.mul(x, x), -100, 100), () => [randn([3], 21)]],
  ];
  for (const [name, fn, inputs] of structural) {
    it(`${name}: invariant — second derivatives equal central differences of the first`, () => gg(fn, inputs()));
  }
  it('lstmSequence / gruSequence / rnnSequence (fused; the recorded backward replays their composite): second derivatives hold', () => {
    const [B, H, Tn] = [2, 3, 3];
    gg((proj, h0, c0, whh) => T.lstmSequence(proj, h0, c0, whh, { batchFirst: true }), [randn([B, Tn, 4 * H], 30), randn([B, H], 31), randn([B, H], 32), T.mul(randn([4 * H, H], 33, false), 0.5).requiresGrad_()]);
    gg((proj, h0, whh, bhh) => T.gruSequence(proj, h0, whh, bhh, { reverse: true }), [randn([Tn, B, 3 * H], 34), randn([B, H], 35), T.mul(randn([3 * H, H], 36, false), 0.5).requiresGrad_(), randn([3 * H], 37)]);
    gg((proj, h0, whh) => T.rnnSequence(proj, h0, whh), [randn([Tn, B, H], 38), randn([B, H], 39), T.mul(randn([H, H], 40, false), 0.5).requiresGrad_()]);
  });
  it('gradgradcheck is not vacuous: a recorded backward that is a constant, or that disagrees with backward(), is caught by name', () => {
    const cube = (x: Tensor) => ({ out: T.noGrad(() => T.mul(T.mul(x, x), x)), saved: x });
    const rightFirst = (x: Tensor, g: Tensor) => [T.noGrad(() => T.mul(T.mul(T.mul(x, x), 3), g))];
    // The silent-zero bug: right values, but computed as a constant, so its own derivative is lost.
    const constant = T.customOp({ name: 'constantCube', forward: cube, backward: rightFirst, backwardGraph: (x, g) => [T.mul(T.noGrad(() => T.mul(T.mul(x, x), 3)), g)] });
    expect(T.gradcheck(constant, [f64([0.5, -1.5])], { raiseException: false }).passed).toBe(true);
    const r = T.gradgradcheck(constant, [f64([0.5, -1.5])], { raiseException: false });
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/^second derivative: gradient mismatch for input 0 .* at flat index 0/);
    expect(() => T.gradgradcheck(constant, [f64([0.5])])).toThrow(T.GradcheckError);
    // A recorded backward whose values differ from backward()'s (2x² instead of 3x²).
    const wrong = T.customOp({ name: 'wrongCube', forward: cube, backward: rightFirst, backwardGraph: (x, g) => [T.mul(T.mul(T.mul(x, x), 2), g)] });
    expect(T.gradgradcheck(wrong, [f64([0.5, -1.5])], { raiseException: false }).message).toMatch(/recorded first derivative of input 0 .* differs from backward\(\)'s/);
  });
});

describe('nested transforms give the closed-form derivatives', () => {
  it('grad to the third order: d³/dx³ (sin x · eˣ) = 2eˣ(cos x − sin x)', () => {
    const f = (x: Tensor) => T.sum(T.mul(T.sin(x), T.exp(x)));
    const d1 = (x: Tensor) => T.sum(T.grad(f)(x));
    const d2 = (x: Tensor) => T.sum(T.grad(d1)(x));
    const xs = [0.3, -1.2, 2];
    const got = arr(T.grad(d2)(f64(xs)));
    xs.forEach((v, i) => expect(got[i]).toBeCloseTo(2 * Math.exp(v) * (Math.cos(v) - Math.sin(v)), 12));
  });
  it('valueAndGrad of a function that calls grad: a gradient penalty ‖∇ₓf‖² differentiated w.r.t. w', () => {
    // f(x, w) = Σ tanh(w·x); ∇ₓf = w(1 − tanh²(wx)); P(w) = Σ ∇ₓf²; check dP/dw by central differences.
    const penalty = (w: Tensor, x: Tensor) => T.sum(T.square(T.grad((xx: Tensor) => T.sum(T.tanh(T.mul(w, xx))))(x)));
    const x = f64([0.4, -0.7, 1.1], false);
    const w = f64([0.8, 1.3, -0.5]);
    const [value, dw] = T.valueAndGrad(penalty)(w, x);
    const P = (ws: number[]) => ws.reduce((s, wi, i) => s + (wi * (1 - Math.tanh(wi * x.data[i]!) ** 2)) ** 2, 0);
    expect(value.item()).toBeCloseTo(P(arr(w)), 12);
    arr(w).forEach((wi, i) => {
      const e = 1e-6;
      const plus = arr(w), minus = arr(w);
      plus[i] = wi + e;
      minus[i] = wi - e;
      expect(dw.data[i]).toBeCloseTo((P(plus) - P(minus)) / (2 * e), 6);
    });
  });
  it('a closed-over outer variable: the inner grad is recorded because its value depends on it', () => {
    // g(w) = d/dx (w·x²) at x = 3 = 6w; dg/dw = 6.
    const outer = (w: Tensor) => T.sum(T.grad((x: Tensor) => T.sum(T.mul(w, T.square(x))))(f64([3], false)));
    expect(arr(T.grad(outer)(f64([2])))).toEqual([6]);
  });
});

describe('vjp, jvp, hvp, jacobian, hessian agree with each other and with closed forms', () => {
  const f = (x: Tensor) => T.tanh(T.matmul(T.tensor([[1, 2, 0], [0.5, -1, 3]], { dtype: 'float64' }), T.mul(x, x)));
  const x = f64([0.3, -0.2, 0.5], false);
  it('jacobian · v = jvp; uᵀ · jacobian = vjp', () => {
    const J = T.jacobian(f, x);
    expect(J.shape).toEqual([2, 3]);
    const v = f64([1, -2, 0.5], false), u = f64([0.7, -1.1], false);
    const [, jv] = T.jvp(f, x, v);
    const [out, uJ] = T.vjp(f, x, u);
    expect(arr(out)).toEqual(arr(f(x)));
    arr(T.matmul(J, v)).forEach((val, i) => expect(jv.data[i]).toBeCloseTo(val, 12));
    arr(T.matmul(u, J)).forEach((val, i) => expect(uJ.data[i]).toBeCloseTo(val, 12));
    expect(jv.requiresGrad || uJ.requiresGrad).toBe(false);
  });
  it('hessian is symmetric, equals the closed form, and hessian · v = hvp (one and several inputs)', () => {
    // s(x, y) = Σ x²y + sin(x·y) on matching shapes; closed forms on the diagonal blocks.
    const s = (a: Tensor, b: Tensor) => T.sum(T.add(T.mul(T.square(a), b), T.sin(T.mul(a, b))));
    const a = f64([0.3, -0.8], false), b = f64([1.2, 0.4], false);
    const H = T.hessian(s, [a, b]);
    // ∂²s/∂a_i² = 2b − b² sin(ab); ∂²s/∂a∂b = 2a + cos(ab) − ab sin(ab) (diagonal)
    arr(a).forEach((ai, i) => {
      const bi = b.data[i]!;
      expect(H[0]![0]!.data[i * 2 + i]).toBeCloseTo(2 * bi - bi * bi * Math.sin(ai * bi), 12);
      expect(H[0]![1]!.data[i * 2 + i]).toBeCloseTo(2 * ai + Math.cos(ai * bi) - ai * bi * Math.sin(ai * bi), 12);
      expect(H[0]![1]!.data[i * 2 + (1 - i)]).toBe(0);
    });
    expect(arr(H[1]![0]!)).toEqual(arr(T.transpose(H[0]![1]!, 0, 1)));
    const [va, vb] = [f64([1, 2], false), f64([-1, 0.5], false)];
    const [, hv] = T.hvp(s, [a, b], [va, vb]);
    const want0 = T.add(T.matmul(H[0]![0]!, va), T.matmul(H[0]![1]!, vb));
    arr(want0).forEach((val, i) => expect(hv[0]!.data[i]).toBeCloseTo(val, 12));
    const g = (z: Tensor) => T.sum(T.pow(z, 3));
    expect(arr(T.hessian(g, f64([2, -1], false))).map((v) => v + 0)).toEqual([12, 0, 0, -6]);
  });
  it('createGraph makes the helpers differentiable; nested in grad they record by themselves', () => {
    const g = (z: Tensor) => T.sum(T.pow(z, 4));
    const z = f64([1.5]);
    const [, hv] = T.hvp(g, z, f64([1], false), { createGraph: true });
    // Hv = 12z²; d/dz = 24z
    expect(arr(T.gradients(T.sum(hv), [z])[0]!)).toEqual([36]);
    const viaGrad = T.grad((w: Tensor) => T.sum(T.hvp(g, w, f64([1], false))[1]))(f64([1.5]));
    expect(arr(viaGrad)).toEqual([36]);
  });
  it('reject mismatched directions and non-scalar functions by name', () => {
    expect(() => T.hvp(f as never, x, x)).toThrow(/hvp: f must return a scalar tensor/);
    expect(() => T.jvp(f, x, f64([1, 2], false))).toThrow(/jvp: v\[0\] has shape \[2\], expected \[3\]/);
    expect(() => T.vjp(f, x)).toThrow(/non-scalar output needs v/);
    expect(() => T.hessian((t: Tensor) => T.sum(t), x, { create_graph: true } as never)).toThrow(T.OptionError);
  });
});

describe('PyTorch semantics at the edges of a recorded backward', () => {
  it('an input the output does not depend on raises unless allowUnused (null, or zeros with materializeGrads)', () => {
    const x = f64([1, 2]), y = f64([3]);
    const out = T.sum(T.mul(x, x));
    expect(() => T.gradients(out, [x, y], { createGraph: true, retainGraph: true })).toThrow(/inputs\[1\].*was not used/);
    const [gx, gy] = T.gradients(out, [x, y], { createGraph: true, allowUnused: true });
    expect(gy).toBeNull();
    expect(arr(gx!)).toEqual([2, 4]);
    const [, zeros] = T.gradients(T.sum(T.mul(x, x)), [x, y], { createGraph: true, allowUnused: true, materializeGrads: true });
    expect(arr(zeros!)).toEqual([0]);
    // Second order: d(Σ gx)/dy is unused too.
    expect(T.gradients(T.sum(gx!), [x, y], { allowUnused: true })[1]).toBeNull();
  });
  it('a second backward through a graph freed by the first still raises, recorded or not', () => {
    const x = f64([1, 2]);
    const y = T.sum(T.exp(x));
    y.backward();
    expect(() => y.backward({ createGraph: true })).toThrow(/freed by an earlier backward/);
  });
  it('createGraph keeps the graph: a recorded backward can be repeated and its results differentiated', () => {
    const x = f64([0.5]);
    const y = T.sum(T.pow(x, 3));
    const [g1] = T.gradients(y, [x], { createGraph: true });
    const [g2] = T.gradients(y, [x], { createGraph: true });
    expect(arr(g1!)).toEqual(arr(g2!));
    expect(T.gradients(T.sum(g1!), [x])[0]!.data[0]).toBeCloseTo(3, 14);
  });
  it('a custom op without backwardGraph or composite raises HigherOrderGradientError naming it, and leaves .grad unchanged', () => {
    const firstOnly = T.customOp({
      name: 'myCube',
      forward: (x: Tensor) => ({ out: T.noGrad(() => T.pow(x, 3)), saved: x }),
      backward: (x, g) => [T.noGrad(() => T.mul(T.mul(T.square(x), 3), g))],
    });
    const x = f64([2]);
    T.sum(firstOnly(x)).backward();
    expect(arr(x.grad!)).toEqual([12]);
    expect(() => T.sum(firstOnly(x)).backward({ createGraph: true })).toThrow(T.HigherOrderGradientError);
    expect(() => T.sum(firstOnly(x)).backward({ createGraph: true })).toThrow(/myCube.*backwardGraph/);
    expect(arr(x.grad!)).toEqual([12]);
    expect(() => T.grad((z: Tensor) => T.sum(T.grad((w: Tensor) => T.sum(firstOnly(w)))(z)))(f64([2]))).toThrow(/myCube/);
    // With a composite instead, the replay makes it twice differentiable.
    const withComposite = T.customOp({
      name: 'myCube2',
      forward: (x: Tensor) => ({ out: T.noGrad(() => T.pow(x, 3)), saved: x }),
      backward: (x, g) => [T.noGrad(() => T.mul(T.mul(T.square(x), 3), g))],
      composite: (x: Tensor) => T.mul(T.mul(x, x), x),
    });
    expect(arr(T.grad((z: Tensor) => T.sum(T.grad((w: Tensor) => T.sum(withComposite(w)))(z)))(f64([2])))).toEqual([12]);
  });
  it('hooks run on recorded gradients too, and the fast path records nothing', () => {
    const x = f64([1, 2]);
    x.registerHook((g) => T.mul(g, 10));
    T.sum(T.square(x)).backward({ createGraph: true });
    expect(arr(x.grad!)).toEqual([20, 40]);
    expect(x.grad!.requiresGrad).toBe(true);
    const z = f64([1, 2]);
    T.sum(T.square(z)).backward();
    expect(z.grad!.requiresGrad).toBe(false);
    expect(z.grad!.isLeaf).toBe(true);
  });
});
