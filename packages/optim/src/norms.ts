/**
 * Norm and scaling kernels on raw gradient arrays. One pass each; sums are
 * accumulated in float64 whatever the storage, so float32 gradients with
 * entries near 1e20 (squares 1e40) still have finite norms; float64 sums that
 * overflow are recomputed with scaling by the largest magnitude.
 */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { DTypeError, ValueError, describeValue, kernels, requireNumber } from '@tapegrad/autograd';

/** Gradient data of a tensor, typed as float storage. */
export function dataOf(t: Tensor): FloatArray {
  return t.data as FloatArray;
}

/** Below this a sum of squares may have lost precision to underflow (squares of entries < ~1e-154). */
const UNDERFLOW = 1e-280;

/** ‖x‖₂ without overflow or underflow: rescales by max|x| when Σx² leaves the safe range (as LAPACK's nrm2). */
export function l2Norm(x: FloatArray): number {
  const s = kernels.sumSquares(x);
  if (Number.isFinite(s) && s > UNDERFLOW) return Math.sqrt(s);
  const m = maxAbs(x);
  if (!Number.isFinite(m) || m === 0) return Math.sqrt(s); // genuine Inf/NaN entries, or all zeros
  let scaled = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! / m;
    scaled += v * v;
  }
  return Math.sqrt(scaled) * m;
}

/** Σ|x| (the L1 norm) of a flat array. */
export function sumAbs(x: FloatArray): number {
  let s0 = 0, s1 = 0;
  const n = x.length, n2 = n - (n % 2);
  let i = 0;
  for (; i < n2; i += 2) {
    s0 += Math.abs(x[i]!);
    s1 += Math.abs(x[i + 1]!);
  }
  if (i < n) s0 += Math.abs(x[i]!);
  return s0 + s1;
}

/** max |x|, NaN if any entry is NaN. */
export function maxAbs(x: FloatArray): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > m) m = a;
    else if (a !== a) return NaN;
  }
  return m;
}

/** ‖x‖_p of one flat array for p = 2, 1 or Infinity. */
export function tensorNorm(x: FloatArray, p: number): number {
  if (p === 2) return l2Norm(x);
  if (p === 1) return sumAbs(x);
  if (p === Infinity) return maxAbs(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.pow(Math.abs(x[i]!), p);
  return Math.pow(s, 1 / p);
}

/** Combines per-tensor norms into the global norm (norm of the norms, as torch.nn.utils does). */
export function combineNorms(norms: readonly number[], p: number): number {
  if (norms.length === 0) return 0;
  if (p === Infinity) {
    let m = 0;
    for (const n of norms) {
      if (n !== n) return NaN;
      if (n > m) m = n;
    }
    return m;
  }
  if (p === 1) return norms.reduce((a, b) => a + b, 0);
  if (p === 2) {
    let s = 0;
    for (const n of norms) s += n * n;
    if (Number.isFinite(s) && s > UNDERFLOW) return Math.sqrt(s);
    const m = Math.max(...norms);
    if (!Number.isFinite(m) || m === 0) return Number.isNaN(s) ? NaN : m === 0 ? 0 : m;
    let scaled = 0;
    for (const n of norms) scaled += (n / m) ** 2;
    return Math.sqrt(scaled) * m;
  }
  return Math.pow(norms.reduce((a, n) => a + Math.pow(n, p), 0), 1 / p);
}

/** x ← s·x in place. */
export function scaleInPlace(x: FloatArray, s: number): void {
  kernels.scaleInPlace(x, s);
}

/** Validates a norm type: 2, 1, Infinity (or 'inf'), or another positive number. */
export function parseNormType(op: string, p: number | 'inf' | undefined): number {
  const v = p === undefined ? 2 : p === 'inf' ? Infinity : p;
  if (typeof v !== 'number' || !(v > 0)) throw new ValueError(op, `normType must be a positive number, Infinity or 'inf', got ${describeValue(p)}`);
  return v;
}

/** Rejects gradients of mixed dtypes (a global norm over float32 and float64 would be ambiguous). */
export function assertOneDType(op: string, grads: readonly (Tensor | null)[]): void {
  let first: Tensor | null = null;
  grads.forEach((g, i) => {
    if (!g) return;
    if (g.dtype === 'int32') throw new DTypeError(op, `gradient ${i} is int32; gradients must be float32 or float64`);
    if (!first) first = g;
    else if (g.dtype !== first.dtype) throw new DTypeError(op, `mixed gradient dtypes: gradient ${i} is ${g.dtype} but an earlier one is ${(first as Tensor).dtype}; clip float32 and float64 parameters in separate groups`);
  });
}

/** Checks a threshold argument. */
export function assertNonNegative(op: string, name: string, v: number): number {
  return requireNumber(op, name, v, { min: 0 });
}
