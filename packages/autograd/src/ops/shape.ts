/**
 * Shape ops. reshape shares the input's storage (every tensor is contiguous,
 * so a reshape is free); permute/slice/cat/expand copy through the strided
 * kernels. Each backward is the adjoint copy.
 */
import type { DType, FloatDType } from '../backend/index.js';
import { allocate, formatShape, kernels, sizeOf } from '../backend/index.js';
import { truncToInt32 } from '../backend/pointwise-grad.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import type { GradList } from '../op.js';
import { defineMultiOp, defineOp } from '../op.js';
import { SliceGradient } from '../tape.js';
import { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, assertShapeArg, assertTensor, floatData, normalizeDim, wrap } from './util.js';
import { describeValue } from '../validate.js';
import { sumTo } from './reduce.js';

/** Resolves one -1 in a requested shape and checks the element count. */
function resolveShape(op: string, from: readonly number[], to: readonly number[]): number[] {
  const size = sizeOf(from);
  const shape = [...to];
  const unknown = shape.indexOf(-1);
  if (shape.filter((d) => d === -1).length > 1) throw new ShapeError(op, `only one dimension can be -1, got ${formatShape(to)}`);
  for (const d of shape) if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new ShapeError(op, `invalid size ${d} in ${formatShape(to)}`);
  if (unknown >= 0) {
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || size % known !== 0) throw new ShapeError(op, `cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(to)}`);
    shape[unknown] = size / known;
  }
  if (sizeOf(shape) !== size) throw new ShapeError(op, `cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(to)}`);
  return shape;
}

const reshapeOp = defineOp({
  name: 'reshape',
  forward(x: Tensor, shape: readonly number[], name: string) {
    assertTensor(name, 'input', x);
    return { out: new Tensor(x.data, resolveShape(name, x.shape, shape)), saved: x.shape };
  },
  backward(inShape, g) {
    return [new Tensor(g.data, inShape)];
  },
  backwardGraph(inShape, g): GradList {
    return [reshapeOp(g, inShape, 'reshape')];
  },
});

/** Same elements, new shape (one dim may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('reshape', 'input', x);
  assertShapeArg('reshape', shape, true);
  return reshapeOp(x, shape, 'reshape');
}

/** Alias of reshape (every tensor is contiguous). */
export const view = reshape;

/** Collapses dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshapeOp(x, [1], 'flatten');
  const s = normalizeDim('flatten', startDim, x.ndim, x.shape);
  const e = normalizeDim('flatten', endDim, x.ndim, x.shape);
  if (e < s) throw new IndexError('flatten', `endDim ${endDim} comes before startDim ${startDim}`);
  const shape = [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1), ...x.shape.slice(e + 1)];
  return reshapeOp(x, shape, 'flatten');
}

/** Inserts a size-1 dim at `dim` (−ndim−1 ≤ dim ≤ ndim). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  assertTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1, x.shape);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshapeOp(x, shape, 'unsqueeze');
}

/** Removes size-1 dims: the given one (a no-op if its size is not 1, as in PyTorch), or all. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  assertTensor('squeeze', 'input', x);
  if (dim === undefined) return reshapeOp(x, x.shape.filter((d) => d !== 1), 'squeeze');
  const d = normalizeDim('squeeze', dim, x.ndim, x.shape);
  if (x.shape[d] !== 1) return reshapeOp(x, x.shape, 'squeeze');
  return reshapeOp(x, x.shape.filter((_, i) => i !== d), 'squeeze');
}

const permuteOp = defineOp({
  name: 'permute',
  forward(x: Tensor, dims: readonly number[]) {
    assertTensor('permute', 'input', x);
    if (!Array.isArray(dims)) throw new IndexError('permute', `dims must be a list of integers, got ${describeValue(dims)}`);
    if (dims.length !== x.ndim) throw new IndexError('permute', `expected ${x.ndim} dims for shape ${formatShape(x.shape)}, got ${JSON.stringify(dims)}`);
    const perm = dims.map((d) => normalizeDim('permute', d, x.ndim, x.shape));
    if (new Set(perm).size !== perm.length) throw new IndexError('permute', `dims ${JSON.stringify(dims)} repeat a dimension`);
    const out = kernels.permute(x.data, x.shape, perm);
    return { out: new Tensor(out, perm.map((p) => x.shape[p]!)), saved: perm };
  },
  backward(perm, g) {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [new Tensor(kernels.permute(g.data, g.shape, inverse), inverse.map((p) => g.shape[p]!))];
  },
  backwardGraph(perm, g): GradList {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [permuteOp(g, inverse)];
  },
});

/** Reorders dims: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return permuteOp(x, dims);
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  assertTensor('transpose', 'input', x);
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return permuteOp(x, x.shape.map((_, i) => i));
  const a = normalizeDim('transpose', dim0, x.ndim, x.shape);
  const b = normalizeDim('transpose', dim1, x.ndim, x.shape);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permuteOp(x, perm);
}

const sliceOp = defineOp({
  name: 'slice',
  forward(x: Tensor, dim: number, start: number, len: number, step: number) {
    return { out: new Tensor(kernels.sliceCopy(x.data, x.shape, dim, start, len, step), sliceShape(x.shape, dim, len)), saved: { dim, start, step } };
  },
  // Only the slice receives gradient: handed to the walk as a SliceGradient (no full-size array per call).
  backward({ dim, start, step }, g) {
    return [new SliceGradient(dim, start, step, g)];
  },
  // The same, with g a recorded tensor: the recorded walk places it with embedSlice.
  backwardGraph({ dim, start, step }, g): GradList {
    return [new SliceGradient(dim, start, step, g)];
  },
});

const embedSliceOp = defineOp({
  name: 'embedSlice',
  forward(g: Tensor, shape: readonly number[], dim: number, start: number, step: number) {
    const out = allocate(g.dtype, sizeOf(shape));
    kernels.sliceAssign(out, shape, dim, start, step, g.data, g.shape);
    return { out: new Tensor(out, [...shape]), saved: { dim, start, step, len: g.shape[dim]! } };
  },
  backward({ dim, start, step, len }, grad) {
    return [new Tensor(kernels.sliceCopy(grad.data, grad.shape, dim, start, len, step), sliceShape(grad.shape, dim, len))];
  },
  backwardGraph({ dim, start, step, len }, grad): GradList {
    return [sliceOp(grad, dim, start, len, step)];
  },
});

/**
 * A tensor of `shape` that is zero except the region along `dim` starting at
 * `start` with stride `step`, which holds `g` (the adjoint of slice: where a
 * slice's gradient lands in its input). Differentiable; used by recorded
 * backward passes.
 */
export function embedSlice(g: Tensor, shape: readonly number[], dim: number, start: number, step: number): Tensor {
  return embedSliceOp(g, shape, dim, start, step);
}

function sliceShape(shape: readonly number[], dim: number, len: number): number[] {
  const s = [...shape];
  s[dim] = len;
  return s;
}

/**
 * x[..., start:end:step, ...] along `dim` (Python slice semantics: negative
 * start/end count from the end and are clamped to the range).
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  assertTensor('slice', 'input', x);
  const d = normalizeDim('slice', dim, x.ndim, x.shape);
  if (!Number.isInteger(start)) throw new IndexError('slice', `start must be an integer, got ${describeValue(start)}`);
  if (end !== undefined && !Number.isInteger(end)) throw new IndexError('slice', `end must be an integer, got ${describeValue(end)}`);
  if (!Number.isInteger(step) || step < 1) throw new ValueError('slice', `step must be a positive integer, got ${describeValue(step)}`);
  const n = x.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIndex(start);
  const e = end === undefined ? n : clampIndex(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return sliceOp(x, d, s, len, step);
}

/**
 * `length` elements from `start` along `dim` (torch.narrow). A negative start
 * counts from the end (`narrow(x, 0, -1, 1)` is the last element); unlike
 * slice nothing is clamped: a window outside the dim is an IndexError.
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  assertTensor('narrow', 'input', x);
  const d = normalizeDim('narrow', dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (!Number.isInteger(start) || start < -n || start > n) throw new IndexError('narrow', `start ${describeValue(start)} is out of range for dim ${dim} of size ${n} (shape ${formatShape(x.shape)}); expected an integer in ${-n}..${n}`);
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s + length > n) throw new IndexError('narrow', `length ${describeValue(length)} from start ${start} does not fit in dim ${dim} of size ${n} (shape ${formatShape(x.shape)}); expected an integer in 0..${n - s}`);
  return sliceOp(x, d, s, length, 1);
}

/** The sub-tensor at `index` along `dim`, with that dim removed (x[:, i] for dim 1). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  assertTensor('select', 'input', x);
  const d = normalizeDim('select', dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) throw new IndexError('select', `index ${describeValue(index)} is out of range for dim ${dim} of size ${n} (shape ${formatShape(x.shape)})`);
  const i = index < 0 ? index + n : index;
  return squeeze(sliceOp(x, d, i, 1, 1), d);
}

const expandOp = defineOp({
  name: 'expand',
  forward(x: Tensor, shape: number[]) {
    const out = kernels.broadcastTo(floatData(x), x.shape, shape, allocate(x.dtype as FloatDType, sizeOf(shape)));
    return { out: wrap(out, shape), saved: { inShape: x.shape, shape } };
  },
  backward({ inShape, shape }, g) {
    return [wrap(kernels.sumToShape(floatData(g), shape, inShape), inShape)];
  },
  backwardGraph({ inShape }, g): GradList {
    return [sumTo(g, inShape)];
  },
});

/** Broadcasts x to `shape` (−1 keeps a size); copies, and sums the gradient back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('expand', 'input', x);
  assertFloat('expand', 'input', x);
  assertShapeArg('expand', shape, true);
  if (shape.length < x.ndim) throw new ShapeError('expand', `cannot expand ${formatShape(x.shape)} to fewer dims ${formatShape(shape)}`);
  const target = shape.map((d, i) => {
    const src = x.shape[i - (shape.length - x.ndim)];
    if (d === -1) {
      if (src === undefined) throw new ShapeError('expand', `-1 is not allowed for a new leading dim in ${formatShape(shape)}`);
      return src;
    }
    if (src !== undefined && src !== 1 && src !== d) throw new ShapeError('expand', `cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}: dim ${i} has size ${src}, not 1`);
    return d;
  });
  return expandOp(x, target);
}

const catOp = defineOp({
  name: 'cat',
  forward(tensors: readonly Tensor[], dim: number) {
    const first = tensors[0]!;
    const shape = [...first.shape];
    shape[dim] = tensors.reduce((p, t) => p + t.shape[dim]!, 0);
    const out = allocate(first.dtype, sizeOf(shape));
    let offset = 0;
    for (const t of tensors) {
      kernels.sliceAssign(out, shape, dim, offset, 1, t.data, t.shape);
      offset += t.shape[dim]!;
    }
    return { out: new Tensor(out, shape), saved: { shapes: tensors.map((t) => t.shape), dim } };
  },
  backward({ shapes, dim }, g) {
    let offset = 0;
    return shapes.map((s) => {
      const part = new Tensor(kernels.sliceCopy(g.data, g.shape, dim, offset, s[dim]!, 1), s);
      offset += s[dim]!;
      return part;
    });
  },
  backwardGraph({ shapes, dim }, g): GradList {
    let offset = 0;
    return shapes.map((s) => {
      const part = sliceOp(g, dim, offset, s[dim]!, 1);
      offset += s[dim]!;
      return part;
    });
  },
});

/** Joins tensors along an existing dim; all other dims must agree. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError('cat', 'expected a non-empty list of tensors');
  tensors.forEach((t, i) => assertTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0]!;
  const d = normalizeDim('cat', dim, first.ndim, first.shape);
  tensors.forEach((t, i) => {
    assertSameDType('cat', first, t, ['tensors[0]', `tensors[${i}]`]);
    if (t.ndim !== first.ndim || t.shape.some((s: number, j: number) => j !== d && s !== first.shape[j])) {
      throw new ShapeError('cat', `tensors[${i}] has shape ${formatShape(t.shape)}, which does not match tensors[0] ${formatShape(first.shape)} outside dim ${d}`);
    }
  });
  return catOp(tensors, d);
}

/** Joins same-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError('stack', 'expected a non-empty list of tensors');
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    assertTensor('stack', `tensors[${i}]`, t);
    if (t.ndim !== first.ndim || t.shape.some((s: number, j: number) => s !== first.shape[j])) throw new ShapeError('stack', `tensors[${i}] has shape ${formatShape(t.shape)} but tensors[0] has ${formatShape(first.shape)}`);
  });
  const d = normalizeDim('stack', dim, first.ndim + 1, first.shape);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

const unbindOp = defineMultiOp({
  name: 'unbind',
  forward(x: Tensor, dim: number) {
    const n = x.shape[dim]!;
    const shape = x.shape.filter((_, i) => i !== dim);
    const outs = Array.from({ length: n }, (_, i) => new Tensor(kernels.sliceCopy(x.data, x.shape, dim, i, 1, 1), shape));
    return { outs, saved: { shape: x.shape, dtype: x.dtype, dim } };
  },
  // One assembly of the whole gradient: O(size), however many pieces.
  backward({ shape, dtype, dim }, grads) {
    const gx = allocate(dtype, sizeOf(shape));
    const pieceShape = shape.map((d, i) => (i === dim ? 1 : d));
    grads.forEach((g, i) => kernels.sliceAssign(gx, shape, dim, i, 1, g.data, pieceShape));
    return [new Tensor(gx, shape)];
  },
  backwardGraph({ dim }, grads): GradList {
    return [catOp(grads.map((g) => unsqueeze(g, dim)), dim)];
  },
});

/**
 * All slices along `dim`, that dim removed (torch.unbind). One op for the
 * whole split, so backward costs O(size) — unlike `select` in a loop, whose
 * every backward builds a gradient the size of the whole input.
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  assertTensor('unbind', 'input', x);
  const d = normalizeDim('unbind', dim, x.ndim, x.shape);
  return unbindOp(x, d);
}

/** Splits into pieces of `size` along `dim` (the last may be smaller). */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  assertTensor('split', 'input', x);
  const d = normalizeDim('split', dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size < 1) throw new ValueError('split', `size must be a positive integer, got ${describeValue(size)}`);
  } else if (!Array.isArray(size) || !size.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ValueError('split', `sizes must be a size or a list of non-negative integer sizes, got ${Array.isArray(size) ? JSON.stringify(size) : describeValue(size)}`);
  }
  const sizes = typeof size === 'number' ? Array.from({ length: Math.max(1, Math.ceil(n / size)) }, (_, i) => Math.min(size, n - i * size)) : [...size];
  if (sizes.reduce((p, s) => p + s, 0) !== n) throw new ShapeError('split', `sizes ${JSON.stringify(sizes)} do not add up to ${n} (dim ${dim} of ${formatShape(x.shape)})`);
  let offset = 0;
  return sizes.map((s) => {
    const part = slice(x, d, offset, offset + s);
    offset += s;
    return part;
  });
}

/** Splits into `chunks` nearly equal pieces along `dim`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  assertTensor('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks < 1) throw new ValueError('chunk', `chunks must be a positive integer, got ${describeValue(chunks)}`);
  const d = normalizeDim('chunk', dim, x.ndim, x.shape);
  if (x.shape[d] === 0) return [x];
  return split(x, Math.ceil(x.shape[d]! / chunks), d);
}

const castOp = defineOp({
  name: 'to',
  forward(x: Tensor, dtype: DType) {
    const out = allocate(dtype, x.size);
    out.set(x.data);
    return { out: new Tensor(out, x.shape), saved: x.dtype };
  },
  backward(from, g) {
    const gx = allocate(from, g.size);
    gx.set(g.data);
    return [new Tensor(gx, g.shape)];
  },
  backwardGraph(from, g): GradList {
    return [castOp(g, from)];
  },
});

/** Converts to another dtype (a copy; float→int32 truncates toward zero). Differentiable between float dtypes. */
export function to(x: Tensor, dtype: DType): Tensor {
  assertTensor('to', 'input', x);
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') throw new DTypeError('to', `unknown dtype ${describeValue(dtype)}; expected 'float32', 'float64' or 'int32'`);
  if (dtype === 'int32') {
    return new Tensor(truncToInt32(x.data), x.shape);
  }
  if (x.dtype === dtype) return x;
  if (x.dtype === 'int32') {
    const out = allocate(dtype, x.size);
    out.set(x.data);
    return new Tensor(out, x.shape);
  }
  return castOp(x, dtype);
}
