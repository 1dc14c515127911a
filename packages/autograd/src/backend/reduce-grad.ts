/**
 * Kernels of the reductions' selections and of the vector norm: where max/
 * min sent the gradient, the stabilizing per-slice max of logsumexp, and the
 * p-norm forward and backward. `slot[i]` is, for each element of the input,
 * the flat index of its slice in the reduced shape (see the callers).
 */
import type { FloatArray } from './dtype.js';
import { allocateLike } from './dtype.js';

/** Over all elements: 1/ties at each element equal to `value` (the extremum), 0 elsewhere. */
export function tiedExtremumMask(x: FloatArray, value: number, mask: FloatArray): void {
  let ties = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === value) ties++;
  for (let i = 0; i < x.length; i++) if (x[i] === value) mask[i] = 1 / ties;
}

/** Along a dim split as [outer, n, inner]: 1 at the selected index of each slice. */
export function selectedIndexMask(outer: number, n: number, inner: number, index: Int32Array, mask: FloatArray): void {
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) mask[(o * n + index[o * inner + i]!) * inner + i] = 1;
}

/** mask ⊙ g in place where mask ≠ 0, g at the mask's shape or (null) the scalar g0. */
export function scaleMask(mask: FloatArray, g: ArrayLike<number> | null, g0: number): void {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) mask[i] *= g ? g[i]! : g0;
}

/** The max of each slice (`slots` of them), infinite maxima replaced by 0 (PyTorch's shift for logsumexp). */
export function finiteSliceMax(x: FloatArray, slot: ArrayLike<number>, slots: number): FloatArray {
  const out = allocateLike(x, slots).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const j = slot[i]!;
    if (x[i]! > out[j]!) out[j] = x[i]!;
  }
  for (let j = 0; j < out.length; j++) if (!Number.isFinite(out[j]!)) out[j] = 0;
  return out;
}

/** ∂‖x‖∞/∂x: sign(x) shared among the entries of each slice that reach its max |x| (`norm` broadcast to x's shape), 0 where the norm is 0. */
export function infNormMaskOf(x: FloatArray, normAtX: ArrayLike<number>, slot: ArrayLike<number>, slots: number): FloatArray {
  const counts = new Float64Array(slots);
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) === normAtX[i]) counts[slot[i]!]++;
  const mask = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) === normAtX[i] && normAtX[i] !== 0) mask[i] = Math.sign(x[i]!) / counts[slot[i]!]!;
  return mask;
}

/** |x|ᵖ elementwise (|x| for p = 1, x² for p = 2). */
export function absPow(x: FloatArray, p: number): FloatArray {
  const out = allocateLike(x, x.length);
  if (p === 1) for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]!);
  else if (p === 2) for (let i = 0; i < x.length; i++) out[i] = x[i]! * x[i]!;
  else for (let i = 0; i < x.length; i++) out[i] = Math.pow(Math.abs(x[i]!), p);
  return out;
}

/** s^{1/p} in place (√s for p = 2): sums of |x|ᵖ to norms. */
export function rootInPlace(s: FloatArray, p: number): void {
  for (let i = 0; i < s.length; i++) s[i] = p === 2 ? Math.sqrt(s[i]!) : Math.pow(s[i]!, 1 / p);
}

/** max |x| of each slice. */
export function sliceMaxAbs(x: FloatArray, slot: ArrayLike<number>, slots: number): FloatArray {
  const out = allocateLike(x, slots);
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > out[slot[i]!]!) out[slot[i]!] = a;
  }
  return out;
}

/**
 * g·∂‖x‖ₚ/∂x for finite p with g and ‖x‖ broadcast to x's shape: g·x/‖x‖
 * (p = 2), g·sign(x) (p = 1), g·x|x|^{p−2}/‖x‖^{p−1} otherwise; 0 where the
 * norm is 0.
 */
export function pNormGrad(x: FloatArray, g: ArrayLike<number>, normAtX: ArrayLike<number>, p: number): FloatArray {
  const gx = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!, n = normAtX[i]!;
    if (n === 0) continue;
    if (p === 2) gx[i] = (g[i]! * v) / n;
    else if (p === 1) gx[i] = g[i]! * Math.sign(v);
    else gx[i] = (g[i]! * v * Math.pow(Math.abs(v), p - 2)) / Math.pow(n, p - 1);
  }
  return gx;
}
