/** Argument validation and small constructors shared by the op families. */
import type { DType, FloatArray, FloatDType } from '../backend/index.js';
import { allocate, broadcastShapes, formatShape, sizeOf } from '../backend/index.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { describeValue, requireNumber } from '../validate.js';

/** A tensor or a plain number (promoted to a 0-d tensor of the other operand's dtype). */
export type TensorLike = Tensor | number;

/** A new tensor of zeros with the given dtype and shape. */
export function zerosOf(dtype: DType, shape: readonly number[]): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

/** Wraps a typed array as a tensor. */
export function wrap(data: FloatArray | Int32Array, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

/** Storage of a float tensor, typed as such. */
export function floatData(t: Tensor): FloatArray {
  return t.data as FloatArray;
}

/** Throws a ValueError naming `op` unless `t` is a Tensor. */
export function assertTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(op, `${name} must be a Tensor, got ${describeValue(t)}`);
}

/** Requires a float32/float64 tensor (ops with gradients do not take int32). */
export function assertFloat(op: string, name: string, t: Tensor): FloatDType {
  assertTensor(op, name, t);
  if (t.dtype === 'int32') throw new DTypeError(op, `${name} must be float32 or float64, got int32`);
  return t.dtype;
}

/** Requires the same dtype on two tensors (no silent promotion). */
export function assertSameDType(op: string, a: Tensor, b: Tensor, names = ['a', 'b']): void {
  if (a.dtype !== b.dtype) throw new DTypeError(op, `dtype mismatch: ${names[0]} is ${a.dtype} but ${names[1]} is ${b.dtype}; convert one with .to('${a.dtype}')`);
}

/**
 * The two operands of a binary op as tensors: numbers become 0-d tensors of
 * the other operand's dtype; anything else, or two numbers, is a ValueError.
 */
export function tensorOperands(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const ok = (v: unknown) => v instanceof Tensor || typeof v === 'number';
  if (!ok(a)) throw new ValueError(op, `a must be a Tensor or a number, got ${describeValue(a)}`);
  if (!ok(b)) throw new ValueError(op, `b must be a Tensor or a number, got ${describeValue(b)}`);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new ValueError(op, 'at least one operand must be a Tensor');
  const ta = a instanceof Tensor ? a : promote(a as number, b as Tensor);
  return [ta, b instanceof Tensor ? b : promote(b as number, ta)];
}

/** Promotes numbers to 0-d tensors of `like`'s dtype. */
export function promote(value: TensorLike, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new ValueError('promote', `expected a Tensor or a number, got ${describeValue(value)}`);
  const data = allocate(like.dtype === 'int32' ? 'float32' : like.dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}

/** The broadcast shape of two operands, or a ShapeError naming the op. */
export function broadcastOrThrow(op: string, a: readonly number[], b: readonly number[]): number[] {
  const s = broadcastShapes(a, b);
  if (!s) throw new ShapeError(op, `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
  return s;
}

/** Normalizes a possibly negative dim against `ndim`, or raises an IndexError. */
export function normalizeDim(op: string, dim: number, ndim: number, shape?: readonly number[]): number {
  if (!Number.isInteger(dim)) throw new IndexError(op, `dim must be an integer, got ${describeValue(dim)}`);
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) {
    throw new IndexError(op, `dim ${dim} is out of range for a tensor of ${ndim} dimension(s)${shape ? ` (shape ${formatShape(shape)})` : ''}; expected ${lo}..${hi}`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalizes a dim, a list of dims or undefined (= all dims) to a sorted unique list. */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined, shape: readonly number[]): number[] {
  const ndim = shape.length;
  if (dim === undefined) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof dim !== 'number' && !Array.isArray(dim)) throw new IndexError(op, `dim must be an integer or a list of integers, got ${describeValue(dim)}`);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const dims = list.map((d) => normalizeDim(op, d, ndim, shape));
  if (new Set(dims).size !== dims.length) throw new IndexError(op, `dim ${JSON.stringify(list)} repeats a dimension`);
  return dims.sort((x, y) => x - y).filter((d) => d < ndim);
}

/** The shape after reducing `dims`: size 1 kept (keepdim) or removed. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** Splits a shape around `dim` into [outer, n, inner] block sizes. */
export function blocks(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim] ?? 1, inner];
}

/** Returns `v` if it is a finite number, else throws a ValueError naming `op` and `name`. */
export function assertFiniteNumber(op: string, name: string, v: unknown): number {
  return requireNumber(op, name, v);
}

/** A shape argument: an array of integers (−1 allowed where `allowInferred`); a ShapeError otherwise. */
export function assertShapeArg(op: string, shape: unknown, allowInferred = false): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) throw new ShapeError(op, `shape must be an array of sizes, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d < 0 && !(allowInferred && d === -1))) throw new ShapeError(op, `invalid size ${describeValue(d)} in shape ${formatShape(shape)}`);
  }
}
