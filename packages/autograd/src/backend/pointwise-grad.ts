/**
 * Pointwise kernels of the binary ops' backward passes, the where op, and
 * a few small maps the ops need (Φ and g·φ for GELU's recorded gradient, the
 * int32 cast). Every operand is already at the output's shape (broadcast
 * by the caller); each kernel is one loop writing a new array of the
 * gradient's storage type. The ops in src/ops hold the formulas' names and
 * the bookkeeping; the loops live here, behind the backend boundary.
 */
import type { FloatArray } from './dtype.js';
import { allocateLike } from './dtype.js';
import { normalCdf, normalPdf } from './math.js';

/** x ⊙ y into a new array. */
export function times(x: FloatArray, y: FloatArray): FloatArray {
  const out = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * y[i]!;
  return out;
}

/** −x into a new array. */
export function negated(x: FloatArray): FloatArray {
  const out = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) out[i] = -x[i]!;
  return out;
}

/** d(a/b): (g/b, −g·out/b) where wanted (out = a/b). */
export function divGrads(g: FloatArray, b: FloatArray, out: FloatArray, wantA: boolean, wantB: boolean): [FloatArray | null, FloatArray | null] {
  const ga = wantA ? allocateLike(g, g.length) : null;
  const gb = wantB ? allocateLike(g, g.length) : null;
  for (let i = 0; i < g.length; i++) {
    const q = g[i]! / b[i]!;
    if (ga) ga[i] = q;
    if (gb) gb[i] = -q * out[i]!;
  }
  return [ga, gb];
}

/** d(aᵇ): (g·b·a^{b−1}, g·aᵇ·ln a), with PyTorch's zeros: 0 for a where b = 0, 0 for b where a = 0 and b ≥ 0. */
export function powGrads(g: FloatArray, a: FloatArray, b: FloatArray, out: FloatArray, wantA: boolean, wantB: boolean): [FloatArray | null, FloatArray | null] {
  const ga = wantA ? allocateLike(g, g.length) : null;
  const gb = wantB ? allocateLike(g, g.length) : null;
  for (let i = 0; i < g.length; i++) {
    const av = a[i]!, bv = b[i]!;
    if (ga) ga[i] = bv === 0 ? 0 : g[i]! * bv * Math.pow(av, bv - 1);
    if (gb) gb[i] = av === 0 && bv >= 0 ? 0 : g[i]! * out[i]! * Math.log(av);
  }
  return [ga, gb];
}

/** maximum/minimum's backward: g to the winner, halves on ties (PyTorch 1.13). */
export function extremumGrads(g: FloatArray, a: FloatArray, b: FloatArray, wantMax: boolean): [FloatArray, FloatArray] {
  const ga = allocateLike(g, g.length);
  const gb = allocateLike(g, g.length);
  for (let i = 0; i < g.length; i++) {
    const av = a[i]!, bv = b[i]!;
    if (av === bv) {
      ga[i] = g[i]! / 2;
      gb[i] = g[i]! / 2;
    } else if (wantMax ? av > bv : av < bv) ga[i] = g[i]!;
    else gb[i] = g[i]!;
  }
  return [ga, gb];
}

/** out[i] = c[i] ≠ 0 ? a[i] : b[i], into `out`. */
export function whereSelect(c: ArrayLike<number>, a: FloatArray, b: FloatArray, out: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? a[i]! : b[i]!;
}

/** where's backward: g to the first operand where c ≠ 0, to the second elsewhere. */
export function whereRoute(c: ArrayLike<number>, g: FloatArray): [FloatArray, FloatArray] {
  const ga = allocateLike(g, g.length);
  const gb = allocateLike(g, g.length);
  for (let i = 0; i < g.length; i++) {
    if (c[i] !== 0) ga[i] = g[i]!;
    else gb[i] = g[i]!;
  }
  return [ga, gb];
}

/** Φ(x), the standard normal CDF, elementwise into a new array. */
export function normalCdfMap(x: FloatArray): FloatArray {
  const out = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) out[i] = normalCdf(x[i]!);
  return out;
}

/** g ⊙ φ(x), φ the standard normal density. */
export function timesNormalPdf(g: FloatArray, x: FloatArray): FloatArray {
  const out = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) out[i] = g[i]! * normalPdf(x[i]!);
  return out;
}

/** Values truncated toward zero into int32 (the `to('int32')` cast). */
export function truncToInt32(x: ArrayLike<number>): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
  return out;
}
