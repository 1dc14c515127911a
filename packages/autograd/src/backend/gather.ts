/**
 * Integer-indexing kernels: index validation and normalization, the flat
 * positions torch.gather reads, and the take / scatter-add pair that every
 * indexing op (gather, the scatter adjoints) reduces to.
 */
import type { DataArray } from './dtype.js';
import { allocateLike } from './dtype.js';
import { DTypeError, IndexError } from '../errors.js';
import { describeValue } from '../validate.js';

/**
 * Indices for a dim of size n as int32, negative ones counted from the end;
 * a DTypeError for a non-integer and an IndexError for one out of range,
 * naming `op` and the position.
 */
export function normalizeIndices(op: string, raw: ArrayLike<number>, n: number): Int32Array {
  const idx = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isInteger(v)) throw new DTypeError(op, `indices must be integers, got ${describeValue(v)} at position ${i}`);
    if (v < -n || v >= n) throw new IndexError(op, `index ${v} at position ${i} is out of range for a dimension of size ${n}`);
    idx[i] = v < 0 ? v + n : v;
  }
  return idx;
}

/** Flat positions in x (row-major `shape`) that gather reads: x[i0, ..., idx[i], ..., ik] for each index entry. */
export function gatherPositions(shape: readonly number[], dim: number, idx: Int32Array, idxShape: readonly number[]): Int32Array {
  const pos = new Int32Array(idx.length);
  const xStrides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const counter = new Array<number>(idxShape.length).fill(0);
  for (let i = 0; i < idx.length; i++) {
    let p = 0;
    for (let d = 0; d < idxShape.length; d++) p += (d === dim ? idx[i]! : counter[d]!) * xStrides[d]!;
    pos[i] = p;
    for (let d = idxShape.length - 1; d >= 0; d--) {
      if (++counter[d]! < idxShape[d]!) break;
      counter[d] = 0;
    }
  }
  return pos;
}

/** out[i] = x[pos[i]]. */
export function takeFlat<T extends DataArray>(x: T, pos: Int32Array): T {
  const out = allocateLike(x, pos.length);
  for (let i = 0; i < pos.length; i++) out[i] = x[pos[i]!]!;
  return out;
}

/** A zero array of `size` with g[i] added at pos[i] (repeated positions accumulate): takeFlat's adjoint. */
export function scatterAddFlat<T extends DataArray>(g: T, size: number, pos: Int32Array): T {
  const out = allocateLike(g, size);
  for (let i = 0; i < pos.length; i++) out[pos[i]!] += g[i]!;
  return out;
}
