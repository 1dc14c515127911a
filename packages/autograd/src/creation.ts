/** Tensor factories: from data, constant fills, ranges and random draws. */
import type { DType, FloatDType } from './backend/index.js';
import { allocate, formatShape, sizeOf } from './backend/index.js';
import { ShapeError, ValueError } from './errors.js';
import type { Generator } from './random.js';
import { defaultGenerator } from './random.js';
import type { NestedArray } from './tensor.js';
import { Tensor } from './tensor.js';

/** Options shared by the factories. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
/** Options of the random factories. */
export interface RandomOptions extends TensorOptions {
  dtype?: FloatDType;
  generator?: Generator;
}

type Source = NestedArray | readonly number[] | Float32Array | Float64Array | Int32Array;

function inferShape(value: NestedArray | readonly number[]): number[] {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function flattenInto(value: unknown, shape: readonly number[], dim: number, out: number[], path: string): void {
  if (dim === shape.length) {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw new ShapeError('tensor', `expected a number at ${path || 'the top level'}, got ${Array.isArray(value) ? 'an array' : typeof value}`);
    out.push(Number(value));
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    throw new ShapeError('tensor', `ragged nested array: ${path || 'the top level'} has ${Array.isArray(value) ? value.length : 'no'} elements where shape ${formatShape(shape)} needs ${shape[dim]}`);
  }
  for (let i = 0; i < value.length; i++) flattenInto(value[i], shape, dim + 1, out, `${path}[${i}]`);
}

/**
 * A tensor from nested arrays, a flat typed array or a number. `shape`
 * reshapes flat data; `dtype` defaults to float32 (or the typed array's own).
 * Typed arrays are copied.
 */
export function tensor(value: Source, options: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const isTyped = value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array;
  const dtype: DType = options.dtype ?? (value instanceof Float64Array ? 'float64' : value instanceof Int32Array ? 'int32' : 'float32');
  let flat: ArrayLike<number>;
  let shape: number[];
  if (isTyped) {
    flat = value;
    shape = options.shape ? [...options.shape] : [value.length];
  } else if (typeof value === 'number') {
    flat = [value];
    shape = options.shape ? [...options.shape] : [];
  } else {
    const inferred = inferShape(value);
    const out: number[] = [];
    flattenInto(value, inferred, 0, out, '');
    flat = out;
    shape = options.shape ? [...options.shape] : inferred;
  }
  if (sizeOf(shape) !== flat.length) throw new ShapeError('tensor', `${flat.length} values do not fill shape ${formatShape(shape)}`);
  const data = allocate(dtype, flat.length);
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isInteger(flat[i])) throw new ValueError('tensor', `int32 tensors take integers, got ${flat[i]} at flat index ${i}`);
      data[i] = flat[i]!;
    }
  } else data.set(flat);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new ShapeError(op, `shape must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, `invalid shape ${formatShape(shape)}: sizes must be non-negative integers`);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}
/** Zeros of `shape`. */
export const zeros = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 0, options);
/** Ones of `shape`. */
export const ones = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 1, options);
/** Zeros with x's shape and dtype. */
export const zerosLike = (x: Tensor, options: TensorOptions = {}): Tensor => full(x.shape, 0, { dtype: x.dtype, ...options });
/** Ones with x's shape and dtype. */
export const onesLike = (x: Tensor, options: TensorOptions = {}): Tensor => full(x.shape, 1, { dtype: x.dtype, ...options });
/** `value` everywhere, with x's shape and dtype. */
export const fullLike = (x: Tensor, value: number, options: TensorOptions = {}): Tensor => full(x.shape, value, { dtype: x.dtype, ...options });

/** Values start, start+step, ... < end (`arange(n)` is 0..n−1). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError('arange', `step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new Tensor(data, [n], options.requiresGrad ?? false);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError('linspace', `steps must be a non-negative integer, got ${steps}`);
  const data = allocate(options.dtype ?? 'float32', steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return new Tensor(data, [steps], options.requiresGrad ?? false);
}

/** Identity matrix [n, m] (m = n by default). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const data = allocate(options.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m], options.requiresGrad ?? false);
}

function randomFill(op: string, shape: readonly number[], options: RandomOptions, draw: (g: Generator) => number): Tensor {
  checkShape(op, shape);
  const g = options.generator ?? defaultGenerator;
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** Uniform on [0, 1). */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomFill('rand', shape, options, (g) => g.random());
/** Standard normal N(0, 1). */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomFill('randn', shape, options, (g) => g.normal());
/** Uniform on [low, high). */
export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  if (!(high >= low)) throw new ValueError('uniform', `high (${high}) must be at least low (${low})`);
  return randomFill('uniform', shape, options, (g) => low + (high - low) * g.random());
}
/** Normal with the given mean and standard deviation. */
export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  if (!(std >= 0)) throw new ValueError('normal', `std must be non-negative, got ${std}`);
  return randomFill('normal', shape, options, (g) => mean + std * g.normal());
}
/** Uniform integers in [low, high) as int32. */
export function randint(low: number, high: number, shape: readonly number[], options: { generator?: Generator } = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new ValueError('randint', `need integers low < high, got ${low}, ${high}`);
  checkShape('randint', shape);
  const g = options.generator ?? defaultGenerator;
  const data = new Int32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.integer(low, high);
  return new Tensor(data, shape);
}
/** rand with x's shape and dtype. */
export const randLike = (x: Tensor, options: RandomOptions = {}): Tensor => rand(x.shape, { dtype: x.dtype === 'int32' ? 'float32' : x.dtype, ...options });
/** randn with x's shape and dtype. */
export const randnLike = (x: Tensor, options: RandomOptions = {}): Tensor => randn(x.shape, { dtype: x.dtype === 'int32' ? 'float32' : x.dtype, ...options });
/** A random permutation of 0..n−1 as int32. */
export function randperm(n: number, options: { generator?: Generator } = {}): Tensor {
  const g = options.generator ?? defaultGenerator;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.integer(0, i + 1);
    const t = data[i]!;
    data[i] = data[j]!;
    data[j] = t;
  }
  return new Tensor(data, [n]);
}
