/**
 * The sharpness of a loss — the largest eigenvalue of its Hessian — by power
 * iteration on Hessian-vector products. Each product is a second backward
 * pass through the recorded first one (PyTorch's idiom: the gradient taken
 * once with createGraph, then ∂⟨g, v⟩/∂θ per iteration), so the Hessian is
 * never formed: memory and time stay a small multiple of one gradient.
 */
import type { Generator, Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';

/** ⟨a, b⟩ over lists of tensors. */
function dot(a: readonly Tensor[], b: readonly Tensor[]): number {
  let s = 0;
  a.forEach((t, i) => {
    const u = b[i]!.data;
    for (let k = 0; k < t.size; k++) s += t.data[k]! * u[k]!;
  });
  return s;
}

/** Result of the power iteration. */
export interface Sharpness {
  /** The dominant eigenvalue λ (largest in magnitude; positive near a minimum). */
  lambda: number;
  /** |λ_k − λ_{k−1}| / |λ_k| at the last iteration: how far from converged. */
  change: number;
  iterations: number;
}

/**
 * Power iteration v ← Hv/‖Hv‖ for the Hessian of `loss` (a scalar computed
 * from `params`), from a seeded random start; stops when λ changes by less
 * than `tol` (relative) or after `maxIterations`.
 */
export function topHessianEigenvalue(loss: Tensor, params: readonly Tensor[], gen: Generator, maxIterations = 30, tol = 1e-3): Sharpness {
  // g(θ) recorded once; every Hv below is a backward pass through it.
  const grads = T.gradients(loss, [...params], { createGraph: true });
  let v = params.map((p) => T.randn([...p.shape], { dtype: p.dtype === 'float32' ? 'float32' : 'float64', generator: gen }));
  let norm = Math.sqrt(dot(v, v));
  v = v.map((t) => T.div(t, norm));
  let lambda = 0, change = Infinity, k = 0;
  for (k = 1; k <= maxIterations; k++) {
    let s = T.sum(T.mul(grads[0]!, v[0]!));
    for (let i = 1; i < grads.length; i++) s = T.add(s, T.sum(T.mul(grads[i]!, v[i]!)));
    const hv = T.gradients(s, [...params], { retainGraph: true, allowUnused: true, materializeGrads: true });
    const next = dot(v, hv); // Rayleigh quotient vᵀHv (‖v‖ = 1)
    change = Math.abs(next - lambda) / Math.max(Math.abs(next), 1e-12);
    lambda = next;
    norm = Math.sqrt(dot(hv, hv));
    if (norm === 0) break;
    v = hv.map((t) => T.div(t, norm));
    if (change < tol) break;
  }
  return { lambda, change, iterations: Math.min(k, maxIterations) };
}
