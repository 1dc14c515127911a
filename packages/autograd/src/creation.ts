/** Tensor factories: from data, constant fills, ranges and random draws. */
import type { DType, FloatDType } from './backend/index.js';
import { allocate, formatShape, MAX_ELEMENTS, sizeOf } from './backend/index.js';
import { AllocationError, DTypeError, ShapeError, ValueError } from './errors.js';
import { Generator, defaultGenerator } from './random.js';
import { checkOptions, describeValue, optionalBoolean, requireNumber } from './validate.js';
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

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const DTYPES = ['float32', 'float64', 'int32'] as const;

/** The dtype option, validated: undefined gives `fallback`; an unknown string ('float16') is a DTypeError. */
export function checkDType(fn: string, dtype: unknown, fallback: DType, allowed: readonly DType[] = DTYPES): DType {
  if (dtype === undefined) return fallback;
  if (!allowed.includes(dtype as DType)) {
    const known = (DTYPES as readonly unknown[]).includes(dtype);
    throw new DTypeError(fn, known ? `${fn} makes ${allowed.join(' or ')} tensors, not ${String(dtype)}` : `unknown dtype ${describeValue(dtype)}; expected ${allowed.map((d) => `'${d}'`).join(', ')}`);
  }
  return dtype as DType;
}

/** Throws unless `v` is an integer int32 can hold (no silent wraparound). */
function checkInt32(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new ValueError(fn, `${name} ${describeValue(v)} is not an int32 (integers from ${INT32_MIN} to ${INT32_MAX})`);
}

function checkGenerator(fn: string, g: unknown): Generator {
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new ValueError(fn, `generator must be a Generator, got ${describeValue(g)}`);
  return g;
}

/** What tensor() accepts: a number, nested arrays of numbers, or a typed array. */
export type TensorSource = NestedArray | readonly number[] | Float32Array | Float64Array | Int32Array;

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
export function tensor(value: TensorSource, options: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  checkOptions('tensor', options, ['dtype', 'requiresGrad', 'shape']);
  const isTyped = value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array;
  if (!isTyped && typeof value !== 'number' && !Array.isArray(value)) throw new ValueError('tensor', `value must be a number, a nested array of numbers or a Float32Array/Float64Array/Int32Array, got ${describeValue(value)}`);
  const dtype: DType = checkDType('tensor', options.dtype, value instanceof Float64Array ? 'float64' : value instanceof Int32Array ? 'int32' : 'float32');
  const requiresGrad = optionalBoolean('tensor', 'requiresGrad', options.requiresGrad, false);
  if (options.shape !== undefined) checkShape('tensor', options.shape);
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
      const v = flat[i]!;
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new ValueError('tensor', `int32 tensors take integers from ${INT32_MIN} to ${INT32_MAX}, got ${describeValue(v)} at flat index ${i}`);
      data[i] = v;
    }
  } else data.set(flat);
  return new Tensor(data, shape, requiresGrad);
}

/** Checks a shape argument: an array of non-negative integer sizes whose product a tensor can hold. */
export function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) throw new ShapeError(op, `shape must be an array of sizes, got ${describeValue(shape)}`);
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(op, `invalid shape ${formatShape(shape)}: sizes must be non-negative integers, got ${describeValue(d)}`);
  const size = sizeOf(shape);
  if (size > MAX_ELEMENTS) throw new AllocationError(op, `shape ${formatShape(shape)} has ${size} elements; a tensor holds at most ${MAX_ELEMENTS}`);
}

/** The options of a factory, validated. */
function factoryOptions(fn: string, options: TensorOptions, allowed: readonly DType[] = DTYPES): { dtype: DType; requiresGrad: boolean } {
  checkOptions(fn, options, ['dtype', 'requiresGrad']);
  const dtype = checkDType(fn, options.dtype, 'float32', allowed);
  const requiresGrad = optionalBoolean(fn, 'requiresGrad', options.requiresGrad, false);
  if (requiresGrad && dtype === 'int32') throw new DTypeError(fn, 'only float32 and float64 tensors can require gradients; got int32');
  return { dtype, requiresGrad };
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

/** full() under the name of the factory the user called (errors say `zeros:`, not `full:`). */
function filled(fn: string, shape: readonly number[], value: number, options: TensorOptions): Tensor {
  checkShape(fn, shape);
  const { dtype, requiresGrad } = factoryOptions(fn, options);
  if (typeof value !== 'number') throw new ValueError(fn, `value must be a number, got ${describeValue(value)}`);
  if (dtype === 'int32') checkInt32(fn, 'value', value);
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape, requiresGrad);
}
/** Zeros of `shape`. */
export const zeros = (shape: readonly number[], options: TensorOptions = {}): Tensor => filled('zeros', shape, 0, options);
/** Ones of `shape`. */
export const ones = (shape: readonly number[], options: TensorOptions = {}): Tensor => filled('ones', shape, 1, options);
/** Zeros with x's shape and dtype. */
export const zerosLike = (x: Tensor, options: TensorOptions = {}): Tensor => {
  const o = likeOptions('zerosLike', x, options);
  return filled('zerosLike', x.shape, 0, o);
};
/** Ones with x's shape and dtype. */
export const onesLike = (x: Tensor, options: TensorOptions = {}): Tensor => {
  const o = likeOptions('onesLike', x, options);
  return filled('onesLike', x.shape, 1, o);
};
/** `value` everywhere, with x's shape and dtype. */
export const fullLike = (x: Tensor, value: number, options: TensorOptions = {}): Tensor => {
  const o = likeOptions('fullLike', x, options);
  return filled('fullLike', x.shape, value, o);
};

/** x's dtype unless the options name another; checks that x is a tensor and the options an object. */
function likeOptions<O extends TensorOptions>(fn: string, x: Tensor, options: O, floatOnly = false): O {
  if (!(x instanceof Tensor)) throw new ValueError(fn, `x must be a Tensor, got ${describeValue(x)}`);
  if (options === null || typeof options !== 'object') throw new ValueError(fn, `options must be an object, got ${describeValue(options)}`);
  const own: DType = floatOnly && x.dtype === 'int32' ? 'float32' : x.dtype;
  return { ...options, dtype: options.dtype ?? own };
}

/** Values start, start+step, ... < end (`arange(n)` is 0..n−1). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  requireNumber('arange', 'start', start);
  if (end !== undefined) requireNumber('arange', 'end', end);
  requireNumber('arange', 'step', step);
  const { dtype, requiresGrad } = factoryOptions('arange', options);
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new ValueError('arange', 'step must be non-zero');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  checkShape('arange', [n]);
  if (dtype === 'int32' && n > 0) {
    checkInt32('arange', 'start', lo);
    checkInt32('arange', 'step', step);
    checkInt32('arange', 'last value', lo + (n - 1) * step);
  }
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new Tensor(data, [n], requiresGrad);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  requireNumber('linspace', 'start', start);
  requireNumber('linspace', 'end', end);
  requireNumber('linspace', 'steps', steps, { integer: true, min: 0 });
  checkShape('linspace', [steps]);
  const { dtype, requiresGrad } = factoryOptions('linspace', options, ['float32', 'float64']);
  const data = allocate(dtype, steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return new Tensor(data, [steps], requiresGrad);
}

/** Identity matrix [n, m] (m = n by default). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const { dtype, requiresGrad } = factoryOptions('eye', options);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m], requiresGrad);
}

function randomFill(op: string, shape: readonly number[], options: RandomOptions, draw: (g: Generator) => number): Tensor {
  checkShape(op, shape);
  checkOptions(op, options, ['dtype', 'requiresGrad', 'generator']);
  // Random floats have no int32 form (they would all truncate to 0): randint is the integer factory.
  const dtype = checkDType(op, options.dtype, 'float32', ['float32', 'float64']);
  const requiresGrad = optionalBoolean(op, 'requiresGrad', options.requiresGrad, false);
  const g = checkGenerator(op, options.generator);
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return new Tensor(data, shape, requiresGrad);
}

/** Uniform on [0, 1). */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomFill('rand', shape, options, (g) => g.random());
/** Standard normal N(0, 1). */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomFill('randn', shape, options, (g) => g.normal());
/** Uniform on [low, high). */
export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  requireNumber('uniform', 'low', low);
  requireNumber('uniform', 'high', high);
  if (!(high >= low)) throw new ValueError('uniform', `high (${high}) must be at least low (${low})`);
  return randomFill('uniform', shape, options, (g) => low + (high - low) * g.random());
}
/** Normal with the given mean and standard deviation. */
export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  requireNumber('normal', 'mean', mean);
  requireNumber('normal', 'std', std, { min: 0 });
  return randomFill('normal', shape, options, (g) => mean + std * g.normal());
}
/** Uniform integers in [low, high) as int32. */
export function randint(low: number, high: number, shape: readonly number[], options: { generator?: Generator } = {}): Tensor {
  checkInt32('randint', 'low', low);
  // high is exclusive, so 2³¹ itself is allowed.
  if (!Number.isInteger(high) || high <= low || high > INT32_MAX + 1) throw new ValueError('randint', `high must be an integer with low < high ≤ ${INT32_MAX + 1} (int32 values), got low ${describeValue(low)}, high ${describeValue(high)}`);
  checkShape('randint', shape);
  checkOptions('randint', options, ['generator']);
  const g = checkGenerator('randint', options.generator);
  const data = new Int32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.integer(low, high);
  return new Tensor(data, shape);
}
/** rand with x's shape and dtype. */
export const randLike = (x: Tensor, options: RandomOptions = {}): Tensor => {
  const o = likeOptions('randLike', x, options, true);
  return rand(x.shape, o);
};
/** randn with x's shape and dtype. */
export const randnLike = (x: Tensor, options: RandomOptions = {}): Tensor => {
  const o = likeOptions('randnLike', x, options, true);
  return randn(x.shape, o);
};
/** A random permutation of 0..n−1 as int32. */
export function randperm(n: number, options: { generator?: Generator } = {}): Tensor {
  requireNumber('randperm', 'n', n, { integer: true, min: 0, max: MAX_ELEMENTS });
  checkOptions('randperm', options, ['generator']);
  const g = checkGenerator('randperm', options.generator);
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
