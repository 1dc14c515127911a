/**
 * Strided copies (permute, slice, concatenation, index gathers), done with
 * scijs ndarray views and ndarray-ops' compiled assignment loops. This file
 * and ./index.ts are the only places that import ndarray.
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import type { DataArray } from './dtype.js';
import { stridesOf, sizeOf } from './shape.js';
import { allocateLike } from './dtype.js';

function view(data: DataArray, shape: readonly number[], strides: readonly number[] = stridesOf(shape), offset = 0) {
  return ndarray(data, shape.length === 0 ? [1] : [...shape], shape.length === 0 ? [1] : [...strides], offset);
}

function assign(dst: DataArray, dstShape: readonly number[], dstStrides: readonly number[], dstOffset: number, src: DataArray, srcShape: readonly number[], srcStrides: readonly number[], srcOffset: number): void {
  if (sizeOf(srcShape) === 0) return;
  ops.assign(view(dst, dstShape, dstStrides, dstOffset), view(src, srcShape, srcStrides, srcOffset));
}

/** Contiguous copy of x with its axes reordered: out.shape[i] = shape[perm[i]]. */
export function permute<T extends DataArray>(x: T, shape: readonly number[], perm: readonly number[]): T {
  const strides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const out = allocateLike(x, x.length);
  assign(out, outShape, stridesOf(outShape), 0, x, outShape, perm.map((p) => strides[p]!), 0);
  return out;
}

/** Copies x[..., start:start+len*step:step, ...] along `dim` into a new contiguous array. */
export function sliceCopy<T extends DataArray>(x: T, shape: readonly number[], dim: number, start: number, len: number, step: number): T {
  const strides = stridesOf(shape);
  const outShape = shape.slice();
  outShape[dim] = len;
  const srcStrides = strides.slice();
  srcStrides[dim] = strides[dim]! * step;
  const out = allocateLike(x, sizeOf(outShape));
  assign(out, outShape, stridesOf(outShape), 0, x, outShape, srcStrides, start * strides[dim]!);
  return out;
}

/**
 * Writes (or adds, when `accumulate`) `src` into the slice of `dst` that
 * starts at `start` along `dim` with the given step: the adjoint of sliceCopy
 * and the building block of concatenation.
 */
export function sliceAssign(dst: DataArray, dstShape: readonly number[], dim: number, start: number, step: number, src: DataArray, srcShape: readonly number[], accumulate = false): void {
  const strides = stridesOf(dstShape);
  const dstStrides = strides.slice();
  dstStrides[dim] = strides[dim]! * step;
  const target = view(dst, srcShape, dstStrides, start * strides[dim]!);
  const source = view(src, srcShape);
  if (sizeOf(srcShape) === 0) return;
  if (accumulate) ops.addeq(target, source);
  else ops.assign(target, source);
}

/**
 * Gathers blocks along one dimension: x seen as [outer, n, inner], the output
 * is [outer, index.length, inner] with out[o, j, :] = x[o, index[j], :].
 */
export function gatherAlong<T extends DataArray>(x: T, outer: number, n: number, inner: number, index: ArrayLike<number>, out: T): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * n + index[j]!) * inner;
      out.set(x.subarray(src, src + inner), (o * m + j) * inner);
    }
  }
}

/** Adjoint of gatherAlong: dst[o, index[j], :] += g[o, j, :] (repeated indices accumulate). */
export function scatterAddAlong(g: DataArray, outer: number, n: number, inner: number, index: ArrayLike<number>, dst: DataArray): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const d = (o * n + index[j]!) * inner;
      const s = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[d + i] += g[s + i]!;
    }
  }
}
