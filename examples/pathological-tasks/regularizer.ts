/**
 * The regulariser of Pascanu, Mikolov & Bengio (2013), their equation 9:
 *
 *   Ω = Σ_k ( ‖δ_{k+1} · ∂h_{k+1}/∂h_k‖ / ‖δ_{k+1}‖ − 1 )²,   δ_{k+1} = ∂E/∂h_{k+1}
 *
 * It asks each step's Jacobian to preserve the norm of the error signal
 * along the direction it is actually backpropagated in, so gradients
 * neither vanish nor explode through time. As in the paper, δ is held
 * constant; the Jacobian-vector product δ_{k+1}·∂h_{k+1}/∂h_k is taken with
 * a recorded backward pass (createGraph), so Ω — and therefore E + λΩ — can
 * be differentiated with respect to the weights: a gradient of a gradient.
 * Norms are per sequence; Ω is summed over steps and averaged over the batch.
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';

/** Per-row L2 norm of a [batch, hidden] tensor, kept differentiable. */
const rowNorm = (t: Tensor) => T.sqrt(T.add(T.sum(T.square(t), 1), 1e-12));

/**
 * Ω for one batch. `states[t]` are the hidden states h_t of a single-layer
 * recurrent layer run with keepStates (each computed from the previous);
 * `loss` is E, computed from them. E's graph is kept for the caller's
 * backward.
 */
export function pascanuOmega(loss: Tensor, states: readonly Tensor[]): Tensor {
  // δ_t = ∂E/∂h_t for every step, as constants (the paper's approximation).
  const deltas = T.gradients(loss, [...states], { retainGraph: true, allowUnused: true, materializeGrads: true });
  let omega: Tensor | null = null;
  for (let k = 0; k + 1 < states.length; k++) {
    const delta = deltas[k + 1]!;
    const dNorm = rowNorm(delta);
    // δ_{k+1}·∂h_{k+1}/∂h_k: h_{k+1} depends on h_k through one step only, so this vjp is the local Jacobian's.
    const [back] = T.gradients(states[k + 1]!, [states[k]!], { gradOutputs: [delta], createGraph: true });
    const term = T.sum(T.square(T.sub(T.div(rowNorm(back!), dNorm), 1)));
    omega = omega ? T.add(omega, term) : term;
  }
  if (!omega) throw new Error('pascanuOmega needs at least two time steps');
  return T.div(omega, states[0]!.shape[0]!);
}
