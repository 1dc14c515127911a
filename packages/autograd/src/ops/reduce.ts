/**
 * Reductions with PyTorch's `dim` (number, list, negative, or all) and
 * `keepdim`. sum/max/min/norm are primitives; mean, var, std and logsumexp
 * are composed from them and get their gradients for free.
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, kernels, sizeOf } from '../backend/index.js';
import { absPow, finiteSliceMax, infNormMaskOf, pNormGrad, rootInPlace, scaleMask, selectedIndexMask, sliceMaxAbs, tiedExtremumMask } from '../backend/reduce-grad.js';
import { times } from '../backend/pointwise-grad.js';
import { IndexError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkOptions, describeValue, optionalBoolean, requireNumber } from '../validate.js';
import { defineOp } from '../op.js';
import { noGrad } from '../tape.js';
import { add, div, mul, ne, sub, where } from './elementwise.js';
import { expand, reshape } from './shape.js';
import { abs, exp, log, powScalar, sign, sqrt } from './unary.js';
import { assertFloat, blocks, floatData, normalizeDim, normalizeDims, reducedShape, wrap } from './util.js';

/** Options of the reductions: which dims (default all) and whether to keep them as size 1. */
export interface ReduceOptions {
  dim?: number | readonly number[];
  keepdim?: boolean;
}

/** The dim argument of a reduction: PyTorch's positional `x.sum(1)`, `x.sum([0, 2])`, or the options object. */
export type DimArg = number | readonly number[];

/**
 * Reads a reduction's arguments in either form, `(dim, keepdim)` as PyTorch
 * takes them positionally or `({ dim, keepdim, ... })`, and validates them:
 * an unknown key, a non-integer dim or a non-boolean keepdim is an error,
 * never a silent reduction over everything.
 */
export function reductionArgs<O extends ReduceOptions>(fn: string, arg: DimArg | O | undefined, keepdim: boolean | undefined, known: readonly string[] = ['dim', 'keepdim']): O {
  let options: O;
  if (typeof arg === 'number' || Array.isArray(arg)) options = { dim: arg as DimArg } as O;
  else if (arg === undefined) options = {} as O;
  else {
    if (arg instanceof Tensor) throw new ValueError(fn, `the second argument is a dim or an options object, got a Tensor${fn === 'max' || fn === 'min' ? ` (the elementwise ${fn} of two tensors is ${fn === 'max' ? 'maximum' : 'minimum'}(a, b))` : ''}`);
    checkOptions(fn, arg, known);
    options = { ...(arg as O) };
    if (keepdim !== undefined) throw new ValueError(fn, 'keepdim given both positionally and in the options object');
  }
  if (keepdim !== undefined) options.keepdim = keepdim;
  const dim: unknown = options.dim;
  if (dim !== undefined && typeof dim !== 'number' && !(Array.isArray(dim) && dim.every((d) => typeof d === 'number'))) throw new IndexError(fn, `dim must be an integer or a list of integers, got ${describeValue(dim)}`);
  optionalBoolean(fn, 'keepdim', options.keepdim, false);
  return options;
}

/** For reductions that take one dim only (max, min, argmax, argmin). */
function singleDim(fn: string, dim: number | readonly number[] | undefined): number | undefined {
  if (Array.isArray(dim)) {
    if (dim.length === 1) return dim[0] as number;
    throw new IndexError(fn, `${fn} reduces one dim or all of them; got the list ${JSON.stringify(dim)}`);
  }
  return dim as number | undefined;
}

const sumOp = defineOp({
  name: 'sum',
  forward(x: Tensor, options: ReduceOptions) {
    assertFloat('sum', 'input', x);
    const dims = normalizeDims('sum', options.dim, x.shape);
    const keepShape = reducedShape(x.shape, dims, true);
    const data = kernels.sumAxes(floatData(x), x.shape, keepShape);
    // Only the shape is needed for backward: the input's data is not kept alive.
    return { out: wrap(data, reducedShape(x.shape, dims, options.keepdim ?? false)), saved: { shape: x.shape, dtype: x.dtype as 'float64', keepShape } };
  },
  // d(Σx)/dx = 1: the gradient is broadcast back over the summed dims.
  backward({ shape, dtype, keepShape }, g) {
    return [wrap(kernels.broadcastTo(floatData(g), keepShape, shape, allocate(dtype, sizeOf(shape))), shape)];
  },
  backwardGraph({ shape, keepShape }, g) {
    return [expand(reshape(g, keepShape), shape)];
  },
});

/**
 * `g` summed back to `shape` under NumPy broadcasting (leading dims summed
 * away, size-1 dims summed with keepdim): the adjoint of broadcasting, in
 * recorded ops, for differentiable backward passes.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.ndim === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return reshape(dims.length > 0 ? sumOp(g, { dim: dims, keepdim: true }) : g, shape);
}

/** Sum over `dim` (all dims by default): `sum(x)`, `sum(x, 1)`, `sum(x, [0, 2], true)`, `sum(x, { dim: 1, keepdim: true })`. */
export function sum(x: Tensor, dim?: DimArg | ReduceOptions, keepdim?: boolean): Tensor {
  return sumOp(x, reductionArgs('sum', dim, keepdim));
}

/** Arithmetic mean over `dim` (all by default): sum / count. Same arguments as sum. */
export function mean(x: Tensor, dim?: DimArg | ReduceOptions, keepdim?: boolean): Tensor {
  const options = reductionArgs('mean', dim, keepdim);
  assertFloat('mean', 'input', x);
  const dims = normalizeDims('mean', options.dim, x.shape);
  const count = dims.reduce((p, d) => p * x.shape[d]!, 1);
  return div(sumOp(x, options), count);
}

/**
 * Max or min along one dim: the gradient goes to the (first) selected index.
 * Over all elements: the gradient is shared evenly among tied extrema
 * (PyTorch's max() without dim).
 */
function extremumOp(name: 'max' | 'min', wantMax: boolean) {
  return defineOp({
    name,
    forward(x: Tensor, dim: number | undefined, keepdim: boolean) {
      const dtype = assertFloat(name, 'input', x);
      if (x.size === 0) throw new ValueError(name, 'cannot reduce an empty tensor');
      if (dim === undefined) {
        const v = kernels.extremumAll(floatData(x), wantMax);
        const out = allocate(dtype, 1);
        out[0] = v;
        // Ties share the gradient, so the values are needed: keep x.
        return { out: wrap(out, []), saved: { x: x as Tensor | null, shape: x.shape, dim: -1, index: null as Int32Array | null, value: v } };
      }
      const d = normalizeDim(name, dim, x.ndim, x.shape);
      const [outer, n, inner] = blocks(x.shape, d);
      const out = allocate(dtype, outer * inner);
      const index = new Int32Array(outer * inner);
      kernels.extremumAlong(floatData(x), outer, n, inner, out, index, wantMax);
      // Along a dim only the selected indices are needed.
      return { out: wrap(out, reducedShape(x.shape, [d], keepdim)), saved: { x: null, shape: x.shape, dim: d, index, value: 0 } };
    },
    backward(saved, g) {
      const mask = selectionMask(saved, g.dtype as 'float64');
      const ge = saved.index === null ? null : kernels.broadcastTo(floatData(g), reducedShape(saved.shape, [saved.dim], true), saved.shape);
      scaleMask(mask, ge, floatData(g)[0]!);
      return [wrap(mask, saved.shape)];
    },
    // g routed by the same selection, as a constant mask: the selection is piecewise constant.
    backwardGraph(saved, g) {
      const mask = wrap(selectionMask(saved, g.dtype as 'float64'), saved.shape);
      return [mul(saved.index === null ? g : reshape(g, reducedShape(saved.shape, [saved.dim], true)), mask)];
    },
  });
}
/**
 * Where max/min sent the gradient: over all elements, 1/ties at each tied
 * extremum (PyTorch's max() without dim); along a dim, 1 at the selected index.
 */
function selectionMask({ x, shape, dim, index, value }: { x: Tensor | null; shape: readonly number[]; dim: number; index: Int32Array | null; value: number }, dtype: 'float32' | 'float64'): FloatArray {
  const mask = allocate(dtype, sizeOf(shape));
  if (index === null) tiedExtremumMask(floatData(x!), value, mask);
  else selectedIndexMask(...blocks(shape, dim), index, mask);
  return mask;
}

const maxOp = extremumOp('max', true);
const minOp = extremumOp('min', false);

/** Options of the single-dim reductions (max, min, argmax, argmin). */
export interface DimOptions {
  dim?: number;
  keepdim?: boolean;
}

/** Max over all elements, or along one `dim` (`max(x, 1)`, `max(x, { dim: 1, keepdim: true })`): values only; see argmax for indices. */
export function max(x: Tensor, dim?: number | DimOptions, keepdim?: boolean): Tensor {
  const o = reductionArgs<ReduceOptions>('max', dim, keepdim);
  return maxOp(x, singleDim('max', o.dim), o.keepdim ?? false);
}
/** Min over all elements, or along one `dim`. */
export function min(x: Tensor, dim?: number | DimOptions, keepdim?: boolean): Tensor {
  const o = reductionArgs<ReduceOptions>('min', dim, keepdim);
  return minOp(x, singleDim('min', o.dim), o.keepdim ?? false);
}

function argExtremum(name: string, wantMax: boolean, x: Tensor, dim: number | DimOptions | undefined, keepdim: boolean | undefined): Tensor {
  const o = reductionArgs<ReduceOptions>(name, dim, keepdim);
  const options = { dim: singleDim(name, o.dim), keepdim: o.keepdim };
  assertFloat(name, 'input', x);
  if (x.size === 0) throw new ValueError(name, 'cannot reduce an empty tensor');
  const flat = options.dim === undefined;
  const d = flat ? 0 : normalizeDim(name, options.dim!, x.ndim, x.shape);
  const shape = flat ? [x.size] : x.shape;
  const [outer, n, inner] = blocks(shape, d);
  const values = allocate(x.dtype as 'float64', outer * inner);
  const index = new Int32Array(outer * inner);
  kernels.extremumAlong(floatData(x), outer, n, inner, values, index, wantMax);
  return wrap(index, flat ? [] : reducedShape(x.shape, [d], options.keepdim ?? false));
}
/** Index of the (first) maximum, over all elements (flat index) or along `dim` (`argmax(x, 1)`); int32, no gradient. */
export const argmax = (x: Tensor, dim?: number | DimOptions, keepdim?: boolean): Tensor => argExtremum('argmax', true, x, dim, keepdim);
/** Index of the (first) minimum; int32, no gradient. */
export const argmin = (x: Tensor, dim?: number | DimOptions, keepdim?: boolean): Tensor => argExtremum('argmin', false, x, dim, keepdim);

/**
 * log Σ exp(x) over `dim`, computed stably as m + log Σ exp(x − m) with
 * m = max(x) held constant (a constant shift leaves the value and the
 * gradient, softmax(x), unchanged).
 */
export function logsumexp(x: Tensor, dim?: DimArg | ReduceOptions, keepdim?: boolean): Tensor {
  const options = reductionArgs('logsumexp', dim, keepdim);
  assertFloat('logsumexp', 'input', x);
  const dims = normalizeDims('logsumexp', options.dim, x.shape);
  const keepShape = reducedShape(x.shape, dims, true);
  const m = noGrad(() => shiftFor(x, keepShape));
  const lse = add(log(sum(exp(sub(x, m)), { dim: dims, keepdim: true })), m);
  return options.keepdim ? lse : reshape(lse, reducedShape(x.shape, dims, false));
}

/** For each element of `shape`, the flat index of its slot in the reduced `keepShape`. */
function slotIndex(keepShape: readonly number[], shape: readonly number[]): Float64Array {
  const slots = Float64Array.from({ length: sizeOf(keepShape) }, (_, i) => i);
  return kernels.broadcastTo(slots, keepShape, shape) as Float64Array;
}

/**
 * The per-slice max over `dims` with those dims kept as size 1, as a
 * constant (no gradient): the stabilizing shift of logsumexp and logSoftmax.
 */
export function maxShift(x: Tensor, dims: readonly number[]): Tensor {
  return noGrad(() => shiftFor(x, reducedShape(x.shape, dims, true)));
}

/** The per-slice max used as a stabilizing shift (infinite maxima replaced by 0, as PyTorch does). */
function shiftFor(x: Tensor, keepShape: readonly number[]): Tensor {
  return wrap(finiteSliceMax(floatData(x), slotIndex(keepShape, x.shape), sizeOf(keepShape)), keepShape);
}

/** Options of var/std: `correction` 1 (unbiased, the default) or 0; `unbiased` is PyTorch's older spelling. */
export interface VarOptions extends ReduceOptions {
  unbiased?: boolean;
  correction?: number;
}

/**
 * Variance over `dim`: Σ(x − mean)² / (N − correction), correction 1 by
 * default. `variance(x)`, `variance(x, 1)`, `variance(x, 1, { keepdim, correction })`
 * or `variance(x, { dim, keepdim, correction, unbiased })`.
 */
export function variance(x: Tensor, dim?: DimArg | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor {
  const known = ['dim', 'keepdim', 'unbiased', 'correction'];
  if (options !== undefined) {
    if (typeof dim !== 'number' && !Array.isArray(dim)) throw new ValueError('var', 'options come after a positional dim; pass one options object otherwise');
    checkOptions('var', options, ['keepdim', 'unbiased', 'correction']);
  }
  const resolved = reductionArgs<VarOptions>('var', dim === undefined || typeof dim === 'number' || Array.isArray(dim) ? (options === undefined ? (dim as DimArg | undefined) : { ...options, dim: dim as DimArg }) : dim, undefined, known);
  return varianceOf(x, resolved);
}

function varianceOf(x: Tensor, options: VarOptions): Tensor {
  assertFloat('var', 'input', x);
  if (options.unbiased !== undefined && options.correction !== undefined) throw new ValueError('var', 'give either unbiased or correction, not both');
  optionalBoolean('var', 'unbiased', options.unbiased, true);
  if (options.correction !== undefined) requireNumber('var', 'correction', options.correction, { min: 0 });
  const dims = normalizeDims('var', options.dim, x.shape);
  const n = dims.reduce((p, d) => p * x.shape[d]!, 1);
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const centered = sub(x, mean(x, { dim: dims, keepdim: true }));
  return div(sum(mul(centered, centered), { dim: dims, keepdim: options.keepdim ?? false }), Math.max(n - correction, 0));
}

/** Standard deviation: √var, with variance's arguments. */
export function std(x: Tensor, dim?: DimArg | VarOptions, options?: Omit<VarOptions, 'dim'>): Tensor {
  return sqrt(variance(x, dim, options));
}

/** Which vector norm: a positive number p, Infinity, or 'fro' (= 2). */
export type NormOrder = number | 'fro' | 'inf';

/** ∂‖x‖∞/∂x: sign(x) shared among the entries that reach the maximum |x| of their slice (0 where ‖x‖ = 0). */
function infNormMask(x: Tensor, norm: FloatArray, keepShape: readonly number[]): FloatArray {
  return infNormMaskOf(floatData(x), kernels.broadcastTo(norm, keepShape, x.shape), slotIndex(keepShape, x.shape), norm.length);
}

const normOp = defineOp({
  name: 'norm',
  forward(x: Tensor, p: number, dims: number[], keepdim: boolean) {
    assertFloat('norm', 'input', x);
    const keepShape = reducedShape(x.shape, dims, true);
    const xd = floatData(x);
    let out: FloatArray;
    if (p === Infinity) out = sliceMaxAbs(xd, slotIndex(keepShape, x.shape), sizeOf(keepShape));
    else {
      out = kernels.sumAxes(absPow(xd, p), x.shape, keepShape);
      if (p !== 1) rootInPlace(out, p);
    }
    return { out: wrap(out, reducedShape(x.shape, dims, keepdim)), saved: { x, p, keepShape, norm: out } };
  },
  // p=2: g·x/‖x‖; p=1: g·sign(x); p=∞: g·sign(x) shared among the maxima; else g·x|x|^{p−2}/‖x‖^{p−1}. Zero where ‖x‖ = 0.
  backward({ x, p, keepShape, norm }, g) {
    const ge = kernels.broadcastTo(floatData(g), keepShape, x.shape);
    if (p === Infinity) return [wrap(times(infNormMask(x, norm, keepShape), ge), x.shape)];
    return [wrap(pNormGrad(floatData(x), ge, kernels.broadcastTo(norm, keepShape, x.shape), p), x.shape)];
  },
  // The same formulas in recorded ops; ‖x‖ is the recorded output, masked to 0 where it is 0.
  backwardGraph({ x, p, keepShape, norm }, g, out) {
    const ge = reshape(g, keepShape);
    const n = reshape(out, keepShape);
    const nonzero = ne(n, 0);
    const safe = where(nonzero, n, 1);
    if (p === 1) return [mul(ge, sign(x))];
    if (p === 2) return [mul(mul(ge, div(x, safe)), nonzero)];
    if (p === Infinity) return [mul(ge, wrap(infNormMask(x, norm, keepShape), x.shape))];
    // g·sign(x)|x|^{p−1} / ‖x‖^{p−1}
    return [mul(div(mul(ge, mul(sign(x), powScalar(abs(x), p - 1))), powScalar(safe, p - 1)), nonzero)];
  },
});

/** Vector p-norm over `dim` (all elements by default): (Σ|x|ᵖ)^{1/p}; p = 2 by default, Infinity for max|x|. `norm(x, 2, 1)` or `norm(x, 2, { dim: 1 })`. */
export function norm(x: Tensor, p: NormOrder = 2, dim?: DimArg | ReduceOptions, keepdim?: boolean): Tensor {
  const options = reductionArgs('norm', dim, keepdim);
  assertFloat('norm', 'input', x);
  const order = p === 'fro' ? 2 : p === 'inf' ? Infinity : p;
  if (typeof order !== 'number' || !(order > 0)) throw new ValueError('norm', `p must be a positive number, Infinity or 'fro', got ${describeValue(p)}`);
  const dims = normalizeDims('norm', options.dim, x.shape);
  return normOp(x, order, dims, options.keepdim ?? false);
}
