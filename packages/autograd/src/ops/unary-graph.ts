/**
 * The gradient of every pointwise unary op in recorded tensor ops: the same
 * formulas as the derivative loops of backend/unary.ts, written so that a
 * recorded backward pass (createGraph, nested grad) can differentiate them
 * again. `x` is the op's input and `y` its recorded output, so d/dx of a
 * term in y goes back through the op itself (e.g. d(g·eˣ)/dx = g·eˣ).
 * Piecewise choices (relu, abs, clamp, leaky ReLU, ELU, softplus's linear
 * part) use constant 0/1 masks: their second derivative is 0 almost
 * everywhere, as in PyTorch.
 */
import type { UnaryOp } from '../backend/index.js';
import { normalCdfMap, timesNormalPdf } from '../backend/pointwise-grad.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { add, ge, gt, le, mul, div, sub, where } from './elementwise.js';
import { cos, exp, neg, powScalar, sigmoid, sign, sin, square, tanh } from './unary.js';
import { floatData, wrap } from './util.js';

/** dy/dx·g for one op, or null for no gradient (sign). */
type UnaryGraph = (g: Tensor, x: Tensor, y: Tensor, p0: number, p1: number) => Tensor | null;

const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_2_OVER_PI = 0.7978845608028654;

/** φ(x) = e^{−x²/2}/√(2π), the standard normal density, in recorded ops. */
const normalPdf = (x: Tensor): Tensor => mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);

/** Φ(x), the standard normal CDF, as an op whose derivative is φ(x) (exact GELU's second derivative needs it). */
const normalCdfOp = defineOp({
  name: 'normalCdf',
  forward(x: Tensor) {
    return { out: wrap(normalCdfMap(floatData(x)), x.shape), saved: x };
  },
  backward(x, g) {
    return [wrap(timesNormalPdf(floatData(g), floatData(x)), x.shape)];
  },
  backwardGraph(x, g) {
    return [mul(g, normalPdf(x))];
  },
});

export const UNARY_GRAPH: Record<UnaryOp, UnaryGraph> = {
  identity: (g) => g,
  neg: (g) => neg(g),
  exp: (g, _x, y) => mul(g, y),
  log: (g, x) => div(g, x),
  log1p: (g, x) => div(g, add(x, 1)),
  expm1: (g, _x, y) => mul(g, add(y, 1)),
  sqrt: (g, _x, y) => div(g, mul(y, 2)),
  reciprocal: (g, _x, y) => neg(mul(g, square(y))),
  tanh: (g, _x, y) => mul(g, sub(1, square(y))),
  sigmoid: (g, _x, y) => mul(g, mul(y, sub(1, y))),
  relu: (g, _x, y) => mul(g, gt(y, 0)),
  abs: (g, x) => mul(g, sign(x)),
  sign: () => null,
  sin: (g, x) => mul(g, cos(x)),
  cos: (g, x) => neg(mul(g, sin(x))),
  square: (g, x) => mul(g, mul(x, 2)),
  // σ(βx) below the threshold, 1 above it (the linear part)
  softplus: (g, x, _y, beta, threshold) => {
    const bx = mul(x, beta);
    return where(gt(bx, threshold), g, mul(g, sigmoid(bx)));
  },
  gelu: (g, x) => mul(g, add(normalCdfOp(x), mul(x, normalPdf(x)))),
  // d/dx ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³): ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
  geluTanh: (g, x) => {
    const t = tanh(mul(add(x, mul(powScalar(x, 3), 0.044715)), SQRT_2_OVER_PI));
    const du = mul(add(mul(square(x), 3 * 0.044715), 1), SQRT_2_OVER_PI);
    return mul(g, add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, square(t))), du)));
  },
  leakyRelu: (g, x, _y, slope) => mul(g, add(mul(gt(x, 0), 1 - slope), slope)),
  // x > 0: 1; else y + α (y is recorded, so the second derivative αeˣ follows)
  elu: (g, x, y, alpha) => mul(g, where(gt(x, 0), 1, add(y, alpha))),
  powScalar: (g, x, _y, p) => (p === 0 ? mul(g, 0) : mul(g, mul(powScalar(x, p - 1), p))),
  clamp: (g, x, _y, lo, hi) => mul(g, mul(ge(x, lo), le(x, hi))),
};
