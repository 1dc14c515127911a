/**
 * Adam's per-element update as a kernel (the optimizer in @tapegrad/optim
 * computes the scalars and owns the state; the loop over the data is here,
 * where the WebAssembly backend can replace it). This is the JS twin: the
 * WebAssembly kernel (wasm/adam.ts) performs the same float64 operations in
 * the same order, so both give the same bits.
 */
import type { FloatArray } from './dtype.js';

/** One parameter's Adam update; every array has the parameter's length and dtype. */
export interface AdamUpdateArgs {
  /** The parameter θ, updated in place. */
  p: FloatArray;
  /** Its gradient g (read only). */
  grad: FloatArray;
  /** First-moment estimate m, updated in place. */
  m: FloatArray;
  /** Second-moment estimate v, updated in place. */
  v: FloatArray;
  /** AMSGrad's running maximum of v, updated in place; null without AMSGrad. */
  vmax: FloatArray | null;
  /** β₁ and β₂. */
  b1: number;
  b2: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
  /** √(1 − β₂ᵗ). */
  bc2Sqrt: number;
  eps: number;
  /** −1 to maximize, else 1. */
  sign: number;
  /** Coupled (L2) weight decay added to the gradient: g ← g + l2·θ (Adam); 0 for AdamW. */
  l2: number;
  /** Decoupled weight decay applied first: θ ← θ·decay (AdamW: 1 − lr·λ); 1 for none. */
  decay: number;
  /** Keras's ε placement: (√v + ε)/√(1 − β₂ᵗ) instead of √v/√(1 − β₂ᵗ) + ε. */
  keras: boolean;
}

/**
 * θ ← θ·decay;  g ← sign·g + l2·θ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
 * v̂ ← max(v̂, v) (AMSGrad);  θ ← θ − stepSize·m / (√v̂ / bc2Sqrt + ε)
 * — torch.optim.Adam 1.13's order of operations, in float64, each stored
 * value rounded to the arrays' dtype and read back rounded (as PyTorch does
 * with float32 state).
 */
export function adamUpdate(args: AdamUpdateArgs): void {
  const { p, decay } = args;
  if (decay !== 1) for (let i = 0; i < p.length; i++) p[i] *= decay;
  adamLoop(args);
}

function adamLoop({ p, grad, m, v, vmax, b1, b2, stepSize, bc2Sqrt, eps, sign, l2, keras }: AdamUpdateArgs): void {
  for (let i = 0; i < p.length; i++) {
    let g = sign * grad[i]!;
    if (l2 !== 0) g += l2 * p[i]!;
    const mi = b1 * m[i]! + (1 - b1) * g;
    const vi = b2 * v[i]! + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let second = v[i]!;
    if (vmax) {
      if (second > vmax[i]!) vmax[i] = second;
      second = vmax[i]!;
    }
    const denom = keras ? (Math.sqrt(second) + eps) / bc2Sqrt : Math.sqrt(second) / bc2Sqrt + eps;
    p[i] -= (stepSize * m[i]!) / denom;
  }
}
