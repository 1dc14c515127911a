/**
 * Reductions with PyTorch's `dim` (number, list, negative, or all) and
 * `keepdim`. sum/max/min/norm are primitives; mean, var, std and logsumexp
 * are composed from them and get their gradients for free.
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, kernels, sizeOf } from '../backend/index.js';
import { ValueError } from '../errors.js';
import { defineOp } from '../op.js';
import { noGrad } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './elementwise.js';
import { reshape } from './shape.js';
import { exp, log, sqrt } from './unary.js';
import { assertFloat, blocks, floatData, normalizeDim, normalizeDims, reducedShape, wrap } from './util.js';

/** Options of the reductions: which dims (default all) and whether to keep them as size 1. */
export interface ReduceOptions {
  dim?: number | readonly number[];
  keepdim?: boolean;
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
});

/** Sum over `dim` (all dims by default). */
export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return sumOp(x, options);
}

/** Arithmetic mean over `dim` (all by default): sum / count. */
export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  const dims = normalizeDims('mean', options.dim, x.shape);
  const count = dims.reduce((p, d) => p * x.shape[d]!, 1);
  return div(sum(x, options), count);
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
    backward({ x, shape, dim, index, value }, g) {
      const gx = allocate(g.dtype as 'float64', sizeOf(shape));
      const gd = floatData(g);
      if (index === null) {
        const xd = floatData(x!);
        let ties = 0;
        for (let i = 0; i < xd.length; i++) if (xd[i] === value) ties++;
        for (let i = 0; i < xd.length; i++) if (xd[i] === value) gx[i] = gd[0]! / ties;
      } else {
        const [outer, n, inner] = blocks(shape, dim);
        for (let o = 0; o < outer; o++)
          for (let i = 0; i < inner; i++) gx[(o * n + index[o * inner + i]!) * inner + i] = gd[o * inner + i]!;
      }
      return [wrap(gx, shape)];
    },
  });
}
const maxOp = extremumOp('max', true);
const minOp = extremumOp('min', false);

/** Max over all elements, or along `dim` (values only; see argmax for indices). */
export function max(x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): Tensor {
  return maxOp(x, options.dim, options.keepdim ?? false);
}
/** Min over all elements, or along `dim`. */
export function min(x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): Tensor {
  return minOp(x, options.dim, options.keepdim ?? false);
}

function argExtremum(name: string, wantMax: boolean, x: Tensor, options: { dim?: number; keepdim?: boolean }): Tensor {
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
/** Index of the (first) maximum, over all elements (flat index) or along `dim`; int32, no gradient. */
export const argmax = (x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): Tensor => argExtremum('argmax', true, x, options);
/** Index of the (first) minimum; int32, no gradient. */
export const argmin = (x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): Tensor => argExtremum('argmin', false, x, options);

/**
 * log Σ exp(x) over `dim`, computed stably as m + log Σ exp(x − m) with
 * m = max(x) held constant (a constant shift leaves the value and the
 * gradient, softmax(x), unchanged).
 */
export function logsumexp(x: Tensor, options: ReduceOptions = {}): Tensor {
  assertFloat('logsumexp', 'input', x);
  const dims = normalizeDims('logsumexp', options.dim, x.shape);
  const keepShape = reducedShape(x.shape, dims, true);
  const m = noGrad(() => shiftFor(x, dims, keepShape));
  const lse = add(log(sum(exp(sub(x, m)), { dim: dims, keepdim: true })), m);
  return options.keepdim ? lse : reshape(lse, reducedShape(x.shape, dims, false));
}

/** For each element of `shape`, the flat index of its slot in the reduced `keepShape`. */
function slotIndex(keepShape: readonly number[], shape: readonly number[]): Float64Array {
  const slots = Float64Array.from({ length: sizeOf(keepShape) }, (_, i) => i);
  return kernels.broadcastTo(slots, keepShape, shape) as Float64Array;
}

/** The per-slice max used as a stabilizing shift (infinite maxima replaced by 0, as PyTorch does). */
function shiftFor(x: Tensor, dims: readonly number[], keepShape: readonly number[]): Tensor {
  const xd = floatData(x);
  const out = allocate(x.dtype as 'float64', sizeOf(keepShape)).fill(-Infinity);
  const slot = slotIndex(keepShape, x.shape);
  for (let i = 0; i < xd.length; i++) {
    const j = slot[i]!;
    if (xd[i]! > out[j]!) out[j] = xd[i]!;
  }
  for (let j = 0; j < out.length; j++) if (!Number.isFinite(out[j]!)) out[j] = 0;
  return wrap(out, keepShape);
}

/** Options of var/std: `correction` 1 (unbiased, the default) or 0; `unbiased` is PyTorch's older spelling. */
export interface VarOptions extends ReduceOptions {
  unbiased?: boolean;
  correction?: number;
}

/** Variance over `dim`: Σ(x − mean)² / (N − correction), correction 1 by default. */
export function variance(x: Tensor, options: VarOptions = {}): Tensor {
  assertFloat('var', 'input', x);
  const dims = normalizeDims('var', options.dim, x.shape);
  const n = dims.reduce((p, d) => p * x.shape[d]!, 1);
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const centered = sub(x, mean(x, { dim: dims, keepdim: true }));
  return div(sum(mul(centered, centered), { dim: dims, keepdim: options.keepdim ?? false }), Math.max(n - correction, 0));
}

/** Standard deviation: √var. */
export function std(x: Tensor, options: VarOptions = {}): Tensor {
  return sqrt(variance(x, options));
}

/** Which vector norm: a positive number p, Infinity, or 'fro' (= 2). */
export type NormOrder = number | 'fro' | 'inf';

const normOp = defineOp({
  name: 'norm',
  forward(x: Tensor, p: number, dims: number[], keepdim: boolean) {
    const dtype = assertFloat('norm', 'input', x);
    const keepShape = reducedShape(x.shape, dims, true);
    const xd = floatData(x);
    const absx = allocate(dtype, x.size);
    for (let i = 0; i < xd.length; i++) absx[i] = Math.abs(xd[i]!);
    let out: FloatArray;
    if (p === Infinity) {
      out = allocate(dtype, sizeOf(keepShape));
      const slot = slotIndex(keepShape, x.shape);
      for (let i = 0; i < absx.length; i++) if (absx[i]! > out[slot[i]!]!) out[slot[i]!] = absx[i]!;
    } else {
      if (p !== 1) for (let i = 0; i < absx.length; i++) absx[i] = p === 2 ? absx[i]! * absx[i]! : Math.pow(absx[i]!, p);
      out = kernels.sumAxes(absx, x.shape, keepShape);
      if (p !== 1) for (let i = 0; i < out.length; i++) out[i] = p === 2 ? Math.sqrt(out[i]!) : Math.pow(out[i]!, 1 / p);
    }
    return { out: wrap(out, reducedShape(x.shape, dims, keepdim)), saved: { x, p, keepShape, norm: out } };
  },
  // p=2: g·x/‖x‖; p=1: g·sign(x); p=∞: g·sign(x) shared among the maxima; else g·x|x|^{p−2}/‖x‖^{p−1}. Zero where ‖x‖ = 0.
  backward({ x, p, keepShape, norm }, g) {
    const xd = floatData(x);
    const gx = allocate(x.dtype as 'float64', x.size);
    const ge = kernels.broadcastTo(floatData(g), keepShape, x.shape);
    const ne = kernels.broadcastTo(norm, keepShape, x.shape);
    if (p === Infinity) {
      const counts = allocate('float64', norm.length);
      const slot = slotIndex(keepShape, x.shape);
      for (let i = 0; i < xd.length; i++) if (Math.abs(xd[i]!) === ne[i]) counts[slot[i]!]++;
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        if (Math.abs(v) === ne[i] && ne[i] !== 0) gx[i] = (Math.sign(v) * ge[i]!) / counts[slot[i]!]!;
      }
    } else {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!, n = ne[i]!;
        if (n === 0) continue;
        if (p === 2) gx[i] = (ge[i]! * v) / n;
        else if (p === 1) gx[i] = ge[i]! * Math.sign(v);
        else gx[i] = (ge[i]! * v * Math.pow(Math.abs(v), p - 2)) / Math.pow(n, p - 1);
      }
    }
    return [wrap(gx, x.shape)];
  },
});

/** Vector p-norm over `dim` (all elements by default): (Σ|x|ᵖ)^{1/p}; p = 2 by default, Infinity for max|x|. */
export function norm(x: Tensor, p: NormOrder = 2, options: ReduceOptions = {}): Tensor {
  const order = p === 'fro' ? 2 : p === 'inf' ? Infinity : p;
  if (typeof order !== 'number' || !(order > 0)) throw new ValueError('norm', `p must be a positive number, Infinity or 'fro', got ${String(p)}`);
  const dims = normalizeDims('norm', options.dim, x.shape);
  return normOp(x, order, dims, options.keepdim ?? false);
}
