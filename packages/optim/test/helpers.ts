import fc from 'fast-check';
import { Tensor } from '@tapegrad/autograd';

/** A list of 1–4 float64 gradient tensors with random shapes and magnitudes (10⁻³…10³). */
export const gradListArb = fc
  .array(fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }), fc.double({ min: -3, max: 3, noNaN: true })), { minLength: 1, maxLength: 4 })
  .chain((specs) =>
    fc.tuple(
      ...specs.map(([shape, logScale]) => {
        const n = shape.reduce((p, d) => p * d, 1);
        return fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((v) => new Tensor(Float64Array.from(v, (x) => x * 10 ** logScale), shape));
      }),
    ),
  );

export const copy = (ts: readonly Tensor[]): Tensor[] => ts.map((t) => new Tensor(t.data.slice(), t.shape));
/** Reference L2 norm, scaled by the largest magnitude so that it neither underflows nor overflows. */
export const norm2 = (ts: readonly (Tensor | null)[]): number => {
  const all = ts.flatMap((t) => (t ? Array.from(t.data) : []));
  const m = Math.max(0, ...all.map(Math.abs));
  return m === 0 ? 0 : Math.sqrt(all.reduce((a, v) => a + (v / m) ** 2, 0)) * m;
};
export const normP = (ts: readonly Tensor[], p: number): number => {
  const all = ts.flatMap((t) => Array.from(t.data));
  if (p === Infinity) return Math.max(0, ...all.map(Math.abs));
  if (p === 1) return all.reduce((a, v) => a + Math.abs(v), 0);
  return norm2(ts);
};
/** Params with the given gradients attached. */
export const withGrads = (grads: readonly Tensor[]): Tensor[] =>
  grads.map((g) => {
    const p = new Tensor(new Float64Array(g.size).fill(0.5), g.shape, true);
    p.grad = new Tensor(g.data.slice(), g.shape);
    return p;
  });
