/**
 * Pointwise unary ops. Each is one definition: the op name, its scalar
 * parameters and the kernel pair in backend/unary.ts (forward loop and
 * derivative loop side by side). Formulas follow PyTorch 1.13.
 */
import type { UnaryOp } from '../backend/index.js';
import { allocate, kernels } from '../backend/index.js';
import { ValueError } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, describeValue, optionalChoice } from '../validate.js';
import { assertFiniteNumber, assertFloat, floatData, wrap } from './util.js';
import { UNARY_GRAPH } from './unary-graph.js';

/** Stands in for the x or y that a derivative does not read (see UnaryKernel.reads): reading it would give NaN, never a plausible number. */
const UNREAD = { float32: new Float32Array(0), float64: new Float64Array(0) } as const;

/** Builds the op for one entry of the unary kernel table. */
function unaryOp(kernel: UnaryOp, name: string = kernel): (x: Tensor, p0?: number, p1?: number) => Tensor {
  const k = kernels.unary[kernel];
  // Save only what the derivative reads, so the tape does not keep the other alive (tanh's input, exp's input, ...).
  const keepX = k.reads === 'x' || k.reads === 'xy';
  const keepY = k.reads === 'y' || k.reads === 'xy';
  return defineOp({
    name,
    forward(x: Tensor, p0 = 0, p1 = 0) {
      const dtype = assertFloat(name, 'input', x);
      const out = allocate(dtype, x.size);
      kernels.unary[kernel].forward(floatData(x), out, p0, p1);
      const y = wrap(out, x.shape);
      return { out: y, saved: { x: keepX ? x : null, y: keepY ? y : null, shape: x.shape, dtype, p0, p1 } };
    },
    backward({ x, y, shape, dtype, p0, p1 }, g) {
      if (!k.backward) return [null];
      const gx = allocate(dtype, g.size);
      kernels.unary[kernel].backward!(floatData(g), x ? floatData(x) : UNREAD[dtype], y ? floatData(y) : UNREAD[dtype], gx, p0, p1);
      return [wrap(gx, shape)];
    },
    backwardGraph({ x, y, p0, p1 }, g) {
      // An unread x or y arrives as null: a formula that used it would fail loudly in the op it is passed to.
      return [UNARY_GRAPH[kernel](g, x as Tensor, y as Tensor, p0, p1)];
    },
  });
}

const negOp = unaryOp('neg');
const expOp = unaryOp('exp');
const logOp = unaryOp('log');
const log1pOp = unaryOp('log1p');
const expm1Op = unaryOp('expm1');
const sqrtOp = unaryOp('sqrt');
const reciprocalOp = unaryOp('reciprocal');
const tanhOp = unaryOp('tanh');
const sigmoidOp = unaryOp('sigmoid');
const reluOp = unaryOp('relu');
const absOp = unaryOp('abs');
const signOp = unaryOp('sign');
const sinOp = unaryOp('sin');
const cosOp = unaryOp('cos');
const squareOp = unaryOp('square');
const softplusOp = unaryOp('softplus');
const geluOp = unaryOp('gelu');
const geluTanhOp = unaryOp('geluTanh', 'gelu');
const leakyReluOp = unaryOp('leakyRelu');
const eluOp = unaryOp('elu');
const powScalarOp = unaryOp('powScalar', 'pow');
const clampOp = unaryOp('clamp');
const cloneOp = unaryOp('identity', 'clone');

/** −x */
export const neg = (x: Tensor): Tensor => negOp(x);
/** eˣ; d/dx = eˣ */
export const exp = (x: Tensor): Tensor => expOp(x);
/** ln x; d/dx = 1/x */
export const log = (x: Tensor): Tensor => logOp(x);
/** ln(1 + x), accurate for small x; d/dx = 1/(1 + x) */
export const log1p = (x: Tensor): Tensor => log1pOp(x);
/** eˣ − 1, accurate for small x; d/dx = eˣ */
export const expm1 = (x: Tensor): Tensor => expm1Op(x);
/** √x; d/dx = 1/(2√x) */
export const sqrt = (x: Tensor): Tensor => sqrtOp(x);
/** 1/x; d/dx = −1/x² */
export const reciprocal = (x: Tensor): Tensor => reciprocalOp(x);
/** tanh x; d/dx = 1 − tanh² x */
export const tanh = (x: Tensor): Tensor => tanhOp(x);
/** σ(x) = 1/(1 + e⁻ˣ); d/dx = σ(x)(1 − σ(x)) */
export const sigmoid = (x: Tensor): Tensor => sigmoidOp(x);
/** max(x, 0); gradient 0 at x = 0 (PyTorch) */
export const relu = (x: Tensor): Tensor => reluOp(x);
/** |x|; gradient sign(x), 0 at 0 */
export const abs = (x: Tensor): Tensor => absOp(x);
/** sign(x) ∈ {−1, 0, 1}; no gradient */
export const sign = (x: Tensor): Tensor => signOp(x);
/** sin x; d/dx = cos x */
export const sin = (x: Tensor): Tensor => sinOp(x);
/** cos x; d/dx = −sin x */
export const cos = (x: Tensor): Tensor => cosOp(x);
/** x²; d/dx = 2x */
export const square = (x: Tensor): Tensor => squareOp(x);
/** A copy of x with gradient identity (torch.clone). */
export const clone = (x: Tensor): Tensor => cloneOp(x);

/**
 * softplus(x) = ln(1 + e^{βx})/β, and x where βx > threshold (torch.nn.functional.softplus,
 * β = 1, threshold = 20 by default); d/dx = σ(βx).
 */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  checkOptions('softplus', options, ['beta', 'threshold']);
  const beta = assertFiniteNumber('softplus', 'beta', options.beta ?? 1);
  const threshold = assertFiniteNumber('softplus', 'threshold', options.threshold ?? 20);
  return softplusOp(x, beta, threshold);
}

/**
 * GELU. Exact: x·Φ(x) with Φ the standard normal CDF (erf-based), d/dx = Φ(x) + x·φ(x).
 * `approximate: 'tanh'`: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel 2016).
 */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  checkOptions('gelu', options, ['approximate']);
  const mode = optionalChoice('gelu', 'approximate', options.approximate, ['none', 'tanh'], 'none');
  return mode === 'tanh' ? geluTanhOp(x) : geluOp(x);
}

/** leaky_relu(x) = x for x > 0, slope·x otherwise (slope 0.01 by default, as in PyTorch). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return leakyReluOp(x, assertFiniteNumber('leakyRelu', 'negativeSlope', negativeSlope));
}

/** elu(x) = x for x > 0, α(eˣ − 1) otherwise (α = 1 by default); d/dx = elu(x) + α for x ≤ 0. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return eluOp(x, assertFiniteNumber('elu', 'alpha', alpha));
}

/** xᵖ for a number p; d/dx = p·x^{p−1} (0 when p = 0). */
export function powScalar(x: Tensor, p: number): Tensor {
  if (typeof p !== 'number' || Number.isNaN(p)) throw new ValueError('pow', `exponent must be a number, got ${describeValue(p)}`);
  return powScalarOp(x, p);
}

/**
 * Clamps x to [min, max] (either bound may be omitted). The gradient passes
 * where min ≤ x ≤ max, bounds included (torch.clamp).
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) throw new ValueError('clamp', `bounds must be numbers, got min=${describeValue(min)} max=${describeValue(max)}`);
  if (min == null && max == null) throw new ValueError('clamp', 'at least one of min and max must be given');
  return clampOp(x, lo, hi);
}
