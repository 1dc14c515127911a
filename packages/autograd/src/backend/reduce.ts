/** Axis reductions. Sums reuse the broadcast machinery; max/min walk [outer, n, inner] blocks. */
import type { FloatArray } from './dtype.js';
import { sumToShape } from './binary.js';
import { allocateLike } from './dtype.js';

/** Sum over the dimensions where `keepShape` has 1 and `shape` does not (keepdim layout). */
export function sumAxes<T extends FloatArray>(x: T, shape: readonly number[], keepShape: readonly number[]): T {
  if (keepShape.every((d) => d === 1) && x.length > 1) {
    // Full reduction: four accumulators break the add-latency chain (and sum pairwise-ish).
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const n = x.length, n4 = n - (n % 4);
    let i = 0;
    for (; i < n4; i += 4) {
      s0 += x[i]!;
      s1 += x[i + 1]!;
      s2 += x[i + 2]!;
      s3 += x[i + 3]!;
    }
    for (; i < n; i++) s0 += x[i]!;
    const s = s0 + s1 + (s2 + s3);
    const total = allocateLike(x, 1);
    total[0] = s;
    return total;
  }
  const out = sumToShape(x, shape, keepShape);
  return out === x ? (x.slice() as T) : out;
}

/**
 * Max (or min) along one dimension of a tensor seen as [outer, n, inner].
 * Writes the values to `out` and the index of the first extremum (PyTorch
 * picks the first on ties for max(dim)) to `idx`. NaN wins, as in PyTorch.
 */
export function extremumAlong(x: FloatArray, outer: number, n: number, inner: number, out: FloatArray, idx: Int32Array, wantMax: boolean): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i]!;
      let bestK = 0;
      if (best === best) {
        for (let k = 1; k < n; k++) {
          const v = x[base + k * inner + i]!;
          if (v !== v) { best = v; bestK = k; break; }
          if (wantMax ? v > best : v < best) { best = v; bestK = k; }
        }
      }
      out[o * inner + i] = best;
      idx[o * inner + i] = bestK;
    }
  }
}

/** Max (or min) of all elements, NaN if any is NaN. */
export function extremumAll(x: FloatArray, wantMax: boolean): number {
  let best = wantMax ? -Infinity : Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return NaN;
    if (wantMax ? v > best : v < best) best = v;
  }
  return best;
}

/** Sum of squares of a flat array (used by norms and by clipping). */
export function sumSquares(x: FloatArray): number {
  // One monomorphic loop per storage type: a loop that sees both Float32Array and Float64Array
  // was deoptimized on every call in about half of all processes (the W4 bench was bimodal).
  return x instanceof Float32Array ? sumSquares32(x) : sumSquares64(x);
}

/**
 * Elements per block of the float32 sum of squares. Must equal SUM_BLOCK in
 * wasm/vector.ts: the WebAssembly kernel sums the same blocks in the same
 * order, so both backends (and 1 or N threads) give the same bits.
 */
export const SUM_SQUARES_BLOCK = 16384;

/**
 * Σx² of float32 data in float64, in the WebAssembly kernel's order: blocks
 * of SUM_SQUARES_BLOCK elements, each with eight running sums (element i mod
 * 8; squares of float32 values are exact in float64), combined as the kernel
 * combines its two pairs of f64x2 lanes, then the tail in order; block sums
 * added in block order.
 */
function sumSquares32(x: Float32Array): number {
  const n = x.length;
  let total = 0;
  for (let from = 0; from < n; from += SUM_SQUARES_BLOCK) {
    const to = Math.min(n, from + SUM_SQUARES_BLOCK);
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    let i = from;
    for (; i + 8 <= to; i += 8) {
      const e0 = x[i]!, e1 = x[i + 1]!, e2 = x[i + 2]!, e3 = x[i + 3]!, e4 = x[i + 4]!, e5 = x[i + 5]!, e6 = x[i + 6]!, e7 = x[i + 7]!;
      a0 += e0 * e0; a1 += e1 * e1; a2 += e2 * e2; a3 += e3 * e3;
      a4 += e4 * e4; a5 += e5 * e5; a6 += e6 * e6; a7 += e7 * e7;
    }
    // The kernel's lanes: lo = (a0 + a4, a1 + a5), hi = (a2 + a6, a3 + a7), summed lane by lane.
    let s = (a0 + a4) + (a1 + a5) + (a2 + a6) + (a3 + a7);
    for (; i < to; i++) s += x[i]! * x[i]!;
    total += s;
  }
  return total;
}

function sumSquares64(x: Float64Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = x.length, n4 = n - (n % 4);
  let i = 0;
  for (; i < n4; i += 4) {
    const a = x[i]!, b = x[i + 1]!, c = x[i + 2]!, d = x[i + 3]!;
    s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
  }
  for (; i < n; i++) s0 += x[i]! * x[i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * x ← s·x in place. float32 data is multiplied in float32, by s rounded to
 * float32 (as PyTorch's `g.mul_(clip_coef)` on a float32 gradient, and as the
 * WebAssembly kernel, bit for bit); float64 in float64.
 */
export function scaleInPlace(x: FloatArray, s: number): void {
  if (s === 1) return;
  // One monomorphic loop per storage type (see sumSquares).
  if (x instanceof Float32Array) scale32(x, Math.fround(s));
  else scale64(x, s);
}
function scale32(x: Float32Array, s: number): void {
  // x[i]·s of two float32 values is exact in float64, so storing it rounds once: the float32 product.
  for (let i = 0; i < x.length; i++) x[i] *= s;
}
function scale64(x: Float64Array, s: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= s;
}


/**
 * acc ← acc + g, elementwise (same length and dtype): how backward sums the
 * gradients a tensor receives from several uses, and adds into `.grad`.
 */
export function addInPlace(acc: FloatArray, g: FloatArray): void {
  // One monomorphic loop per storage type (see sumSquares): the shared loop ran at ~3.4 ns per
  // float32 element once it had also seen float64 data, against ~1.9 ns monomorphic.
  if (acc instanceof Float32Array) add32(acc, g as Float32Array);
  else add64(acc as Float64Array, g as Float64Array);
}
function add32(acc: Float32Array, g: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i]!;
}
function add64(acc: Float64Array, g: Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i]!;
}
