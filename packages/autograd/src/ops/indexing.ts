/** Integer indexing: index_select, embedding lookup and gather, with scatter-add backward. */
import { allocate, formatShape, kernels } from '../backend/index.js';
import { gatherPositions, normalizeIndices, scatterAddFlat, takeFlat } from '../backend/gather.js';
import { DTypeError, ShapeError } from '../errors.js';
import type { GradList } from '../op.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { assertFloat, assertTensor, blocks, normalizeDim } from './util.js';
import { describeValue } from '../validate.js';

/** Indices given as an int32 tensor, a float tensor of whole numbers, or a plain array. */
export type IndexLike = Tensor | readonly number[] | Int32Array;

/** Reads and validates indices against a dim of size n (negative indices count from the end). */
function toIndices(op: string, index: IndexLike, n: number): { idx: Int32Array; shape: number[] } {
  if (!(index instanceof Tensor) && !(index instanceof Int32Array) && !Array.isArray(index)) throw new DTypeError(op, `indices must be a Tensor, an Int32Array or an array of integers, got ${describeValue(index)}`);
  const raw = index instanceof Tensor ? index.data : index;
  const shape = index instanceof Tensor ? [...index.shape] : [raw.length];
  return { idx: normalizeIndices(op, raw, n), shape };
}

const gatherDimOp = defineOp({
  name: 'indexSelect',
  forward(x: Tensor, dim: number, idx: Int32Array, outShape: number[]) {
    const [outer, n, inner] = blocks(x.shape, dim);
    const out = allocate(x.dtype, outer * idx.length * inner);
    kernels.gatherAlong(x.data, outer, n, inner, idx, out);
    return { out: new Tensor(out, outShape), saved: { shape: x.shape, dtype: x.dtype, dim, idx } };
  },
  // Adjoint: scatter-add the gradient rows back (repeated indices accumulate).
  backward({ shape, dtype, dim, idx }, g) {
    const [outer, n, inner] = blocks(shape, dim);
    const gx = allocate(dtype, outer * n * inner);
    kernels.scatterAddAlong(g.data, outer, n, inner, idx, gx);
    return [new Tensor(gx, shape)];
  },
  backwardGraph({ shape, dim, idx }, g): GradList {
    return [scatterAlongOp(g, shape, dim, idx)];
  },
});

/** The adjoint of indexSelect as an op of its own (its gradient is indexSelect again), for recorded backward passes. */
const scatterAlongOp = defineOp({
  name: 'indexAdd',
  forward(g: Tensor, shape: readonly number[], dim: number, idx: Int32Array) {
    const [outer, n, inner] = blocks(shape, dim);
    const out = allocate(g.dtype, outer * n * inner);
    kernels.scatterAddAlong(g.data, outer, n, inner, idx, out);
    return { out: new Tensor(out, [...shape]), saved: { dim, idx, gShape: g.shape } };
  },
  backward({ dim, idx, gShape }, grad) {
    const [outer, n, inner] = blocks(grad.shape, dim);
    const out = allocate(grad.dtype, outer * idx.length * inner);
    kernels.gatherAlong(grad.data, outer, n, inner, idx, out);
    return [new Tensor(out, [...gShape])];
  },
  backwardGraph({ dim, idx, gShape }, grad): GradList {
    return [gatherDimOp(grad, dim, idx, [...gShape])];
  },
});

/** Picks entries along `dim` by a 1-D list of indices (torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: IndexLike): Tensor {
  assertTensor('indexSelect', 'input', x);
  const d = normalizeDim('indexSelect', dim, x.ndim, x.shape);
  if (index instanceof Tensor && index.ndim > 1) throw new ShapeError('indexSelect', `index must be 1-D, got ${formatShape(index.shape)}`);
  const { idx } = toIndices('indexSelect', index, x.shape[d] ?? 1);
  const outShape = [...x.shape];
  outShape[d] = idx.length;
  return gatherDimOp(x, d, idx, outShape);
}

/** Rows of `weight` [num, dim] looked up by integer `ids` of any shape: output [...ids.shape, dim]. */
export function embedding(weight: Tensor, ids: IndexLike): Tensor {
  assertFloat('embedding', 'weight', weight);
  if (weight.ndim !== 2) throw new ShapeError('embedding', `weight must be 2-D [num, dim], got ${formatShape(weight.shape)}`);
  const { idx, shape } = toIndices('embedding', ids, weight.shape[0]!);
  return gatherDimOp(weight, 0, idx, [...shape, weight.shape[1]!]);
}

/** out[pos[i]] += g[i] into zeros of `shape`: the adjoint of gather by flat positions; its gradient is the gather again. */
const scatterFlatOp = defineOp({
  name: 'scatterAdd',
  forward(g: Tensor, shape: readonly number[], pos: Int32Array) {
    return { out: new Tensor(scatterAddFlat(g.data, shape.reduce((p, d) => p * d, 1), pos), [...shape]), saved: { pos, gShape: g.shape } };
  },
  backward({ pos, gShape }, grad) {
    return [new Tensor(takeFlat(grad.data, pos), [...gShape])];
  },
  backwardGraph({ pos, gShape }, grad): GradList {
    return [takeFlatOp(grad, pos, gShape)];
  },
});

/** out[i] = x[pos[i]]: gather by flat positions (torch.gather once the positions are known; the adjoint of scatterFlatOp). */
const takeFlatOp = defineOp({
  name: 'gather',
  forward(x: Tensor, pos: Int32Array, outShape: readonly number[]) {
    return { out: new Tensor(takeFlat(x.data, pos), [...outShape]), saved: { shape: x.shape, pos } };
  },
  backward({ shape, pos }, g) {
    return [new Tensor(scatterAddFlat(g.data, shape.reduce((p, d) => p * d, 1), pos), [...shape])];
  },
  backwardGraph({ shape, pos }, g): GradList {
    return [scatterFlatOp(g, shape, pos)];
  },
});

/** out[i][j] = x[i][index[i][j]] for dim 1 (torch.gather); index has x's rank, and no larger sizes off `dim`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor('gather', 'input', x);
  assertTensor('gather', 'index', index);
  const d = normalizeDim('gather', dim, x.ndim, x.shape);
  if (index.ndim !== x.ndim) throw new ShapeError('gather', `index must have the same number of dims as input: ${formatShape(index.shape)} vs ${formatShape(x.shape)}`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]!) throw new ShapeError('gather', `index ${formatShape(index.shape)} is larger than input ${formatShape(x.shape)} at dim ${i}`);
  });
  const { idx } = toIndices('gather', index, x.shape[d]!);
  return takeFlatOp(x, gatherPositions(x.shape, d, idx, index.shape), [...index.shape]);
}
