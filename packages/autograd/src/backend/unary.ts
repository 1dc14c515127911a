/**
 * Elementwise unary kernels: each op's forward loop and its derivative loop,
 * side by side, so all pointwise gradient formulas can be read in one table.
 * `p0`/`p1` carry scalar parameters (exponent, slope, alpha, clamp bounds).
 * Backward kernels receive x (input), y (output) and g (upstream) and write
 * gx = g · dy/dx; an entry's `reads` says which of x and y its derivative
 * reads (the other arrives empty).
 */
import type { FloatArray } from './dtype.js';
import { normalCdf, normalPdf } from './math.js';

/** Names of the pointwise kernels in the UNARY table. */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'reciprocal' | 'tanh' | 'sigmoid' | 'relu' | 'abs' | 'sin' | 'cos'
  | 'square' | 'softplus' | 'gelu' | 'geluTanh' | 'leakyRelu' | 'elu' | 'powScalar' | 'clamp' | 'log1p' | 'expm1'
  | 'sign' | 'identity';

/** A pointwise forward loop and its derivative loop. */
export interface UnaryKernel {
  /**
   * What the derivative reads: the input x, the output y, both, or neither.
   * The op saves only that for backward, so an input or output that no
   * derivative reads is not kept alive by the tape.
   */
  reads: 'x' | 'y' | 'xy' | 'none';
  forward(x: FloatArray, out: FloatArray, p0: number, p1: number): void;
  /** Writes gx; absent for ops without a gradient (sign). */
  backward?(g: FloatArray, x: FloatArray, y: FloatArray, gx: FloatArray, p0: number, p1: number): void;
}

const SQRT_2_OVER_PI = 0.7978845608028654;

/** The pointwise kernels: every unary forward next to its derivative. */
export const UNARY: Record<UnaryOp, UnaryKernel> = {
  identity: {
    reads: 'none',
    forward(x, out) { out.set(x); },
    backward(g, _x, _y, gx) { gx.set(g); },
  },
  neg: {
    reads: 'none',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = -x[i]!; },
    backward(g, _x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = -g[i]!; },
  },
  // d/dx e^x = e^x = y
  exp: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]!); },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! * y[i]!; },
  },
  // d/dx ln x = 1/x
  log: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! / x[i]!; },
  },
  log1p: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.log1p(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! / (1 + x[i]!); },
  },
  expm1: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.expm1(x[i]!); },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! * (y[i]! + 1); },
  },
  // d/dx √x = 1 / (2√x)
  sqrt: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]!); },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! / (2 * y[i]!); },
  },
  // d/dx 1/x = -1/x² = -y²
  reciprocal: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = 1 / x[i]!; },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) gx[i] = -g[i]! * y[i]! * y[i]!; },
  },
  // d/dx tanh x = 1 - tanh² x
  tanh: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!); },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) { const t = y[i]!; gx[i] = g[i]! * (1 - t * t); } },
  },
  // σ(x) = 1/(1+e^{-x}); dσ/dx = σ(1-σ)
  sigmoid: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]!)); },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) { const s = y[i]!; gx[i] = g[i]! * s * (1 - s); } },
  },
  // gradient 0 at x = 0, as in PyTorch
  relu: {
    reads: 'y',
    forward(x, out) { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? v : 0; } },
    backward(g, _x, y, gx) { for (let i = 0; i < g.length; i++) gx[i] = y[i]! > 0 ? g[i]! : 0; },
  },
  // d|x|/dx = sign(x), 0 at 0
  abs: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) { const v = x[i]!; gx[i] = v > 0 ? g[i]! : v < 0 ? -g[i]! : 0; } },
  },
  sign: {
    reads: 'none',
    forward(x, out) { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? 1 : v < 0 ? -1 : v; } },
  },
  sin: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.sin(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = g[i]! * Math.cos(x[i]!); },
  },
  cos: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = Math.cos(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = -g[i]! * Math.sin(x[i]!); },
  },
  square: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = x[i]! * x[i]!; },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) gx[i] = 2 * g[i]! * x[i]!; },
  },
  // softplus(x) = log(1 + e^{βx})/β, linear above βx > threshold (PyTorch: β=p0=1, threshold=p1=20)
  softplus: {
    reads: 'x',
    forward(x, out, beta, threshold) {
      for (let i = 0; i < x.length; i++) {
        const bx = beta * x[i]!;
        out[i] = bx > threshold ? x[i]! : Math.log1p(Math.exp(bx)) / beta;
      }
    },
    backward(g, x, _y, gx, beta, threshold) {
      for (let i = 0; i < g.length; i++) {
        const bx = beta * x[i]!;
        if (bx > threshold) gx[i] = g[i]!;
        else { const z = Math.exp(bx); gx[i] = (g[i]! * z) / (z + 1); }
      }
    },
  },
  // gelu(x) = x Φ(x); d/dx = Φ(x) + x φ(x)
  gelu: {
    reads: 'x',
    forward(x, out) { for (let i = 0; i < x.length; i++) out[i] = x[i]! * normalCdf(x[i]!); },
    backward(g, x, _y, gx) { for (let i = 0; i < g.length; i++) { const v = x[i]!; gx[i] = g[i]! * (normalCdf(v) + v * normalPdf(v)); } },
  },
  // tanh approximation: 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
  geluTanh: {
    reads: 'x',
    forward(x, out) {
      for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); }
    },
    backward(g, x, _y, gx) {
      for (let i = 0; i < g.length; i++) {
        const v = x[i]!;
        const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
        const dt = (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
        gx[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * dt);
      }
    },
  },
  // leaky_relu: x > 0 ? x : slope·x (slope = p0); gradient `slope` at 0, as in PyTorch
  leakyRelu: {
    reads: 'x',
    forward(x, out, slope) { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? v : v * slope; } },
    backward(g, x, _y, gx, slope) { for (let i = 0; i < g.length; i++) gx[i] = x[i]! > 0 ? g[i]! : g[i]! * slope; },
  },
  // elu: x > 0 ? x : α(e^x − 1) (α = p0); derivative for x ≤ 0 is y + α
  elu: {
    reads: 'xy',
    forward(x, out, alpha) { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? v : alpha * Math.expm1(v); } },
    backward(g, x, y, gx, alpha) { for (let i = 0; i < g.length; i++) gx[i] = x[i]! > 0 ? g[i]! : g[i]! * (y[i]! + alpha); },
  },
  // x^p (p = p0); d/dx = p·x^{p−1}, and 0 when p = 0 (PyTorch pow_backward)
  powScalar: {
    reads: 'x',
    forward(x, out, p) {
      if (p === 2) for (let i = 0; i < x.length; i++) out[i] = x[i]! * x[i]!;
      else for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i]!, p);
    },
    backward(g, x, _y, gx, p) {
      if (p === 0) gx.fill(0);
      else for (let i = 0; i < g.length; i++) gx[i] = g[i]! * p * Math.pow(x[i]!, p - 1);
    },
  },
  // clamp(x, lo, hi); gradient passes where lo ≤ x ≤ hi (inclusive, as in PyTorch)
  clamp: {
    reads: 'x',
    // min(max(x, lo), hi): with lo > hi every element becomes hi, as in torch.clamp
    forward(x, out, lo, hi) { for (let i = 0; i < x.length; i++) { const v = x[i]!; const t = v < lo ? lo : v; out[i] = t > hi ? hi : t; } },
    backward(g, x, _y, gx, lo, hi) { for (let i = 0; i < g.length; i++) { const v = x[i]!; gx[i] = v >= lo && v <= hi ? g[i]! : 0; } },
  },
};
