import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import type { StateSpec } from './optimizer-state.js';
import { allocateLike } from '@tapegrad/autograd';

/** RMSprop hyper-parameters (torch.optim.RMSprop names, camelCase). */
export interface RMSpropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
  /**
   * Where ε goes. 'pytorch' (default): d = √s + ε (√(s − ḡ²) + ε centered),
   * momentum b ← μb + g/d, θ ← θ − lr·b. 'keras' (Keras 3 RMSprop): ε inside
   * the root, d = √(s + ε) (√(s − ḡ² + ε) centered), and the momentum buffer
   * accumulates lr-scaled increments, b ← μb + lr·g/d, θ ← θ − b. Keras's
   * defaults differ too (lr 1e-3, ρ = alpha 0.9, ε 1e-7): pass them to reproduce a Keras run.
   */
  epsilonPlacement: 'pytorch' | 'keras';
}

/**
 * RMSprop (Tieleman & Hinton 2012, lecture 6.5; centered form from Graves
 * 2013) as torch.optim.RMSprop 1.13 (defaults lr 1e-2, alpha 0.99, eps 1e-8):
 *   g ← ±∇ + λθ;  s ← αs + (1 − α)g²;  ḡ ← αḡ + (1 − α)g (centered)
 *   d = √(s − ḡ²) (centered) | √s,  d ← d + ε
 *   b ← μb + g/d, θ ← θ − lr·b (momentum) | θ ← θ − lr·g/d
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  /** The type and range of each hyper-parameter (torch.optim.RMSprop's checks, plus types). */
  static readonly hyperSpec: HyperSpec<RMSpropHyper> = {
    lr: { type: 'number', min: 0 },
    alpha: { type: 'number', min: 0 },
    eps: { type: 'number', min: 0 },
    weightDecay: { type: 'number', min: 0 },
    momentum: { type: 'number', min: 0 },
    centered: { type: 'boolean' },
    maximize: { type: 'boolean' },
    epsilonPlacement: { type: 'choice', values: ['pytorch', 'keras'] },
  };
  constructor(params: ParamList | readonly ParamGroupInput<RMSpropHyper>[], options: Partial<RMSpropHyper> & OptimizerOptions = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, epsilonPlacement: 'pytorch' }, options, RMSprop.hyperSpec);
  }
  protected stateSpec(h: RMSpropHyper): StateSpec {
    return { counters: ['step'], buffers: ['squareAvg', ...(h.momentum > 0 ? ['momentumBuffer'] : []), ...(h.centered ? ['gradAvg'] : [])] };
  }
  protected initState(p: Tensor, h: RMSpropHyper): ParamState {
    const z = () => allocateLike(p.data as FloatArray, p.size);
    const st: ParamState = { step: 0, squareAvg: z() };
    if (h.momentum > 0) st.momentumBuffer = z();
    if (h.centered) st.gradAvg = z();
    return st;
  }
  protected updateParam(p: FloatArray, grad: FloatArray, st: ParamState, h: RMSpropHyper): void {
    st.step = (st.step as number) + 1;
    const { lr, alpha, eps, weightDecay, momentum, centered } = h;
    const sign = h.maximize ? -1 : 1;
    const s = st.squareAvg as FloatArray;
    const gAvg = st.gradAvg as FloatArray | undefined;
    const buf = st.momentumBuffer as FloatArray | undefined;
    const keras = h.epsilonPlacement === 'keras';
    for (let i = 0; i < p.length; i++) {
      let g = sign * grad[i]!;
      if (weightDecay !== 0) g += weightDecay * p[i]!;
      s[i] = alpha * s[i]! + (1 - alpha) * g * g;
      const second = centered ? s[i]! - (gAvg![i] = alpha * gAvg![i]! + (1 - alpha) * g) * gAvg![i]! : s[i]!;
      const avg = keras ? Math.sqrt(second + eps) : Math.sqrt(second) + eps;
      if (momentum > 0) {
        // Keras accumulates the lr-scaled increment; PyTorch scales the buffer by lr (the same while lr is constant).
        buf![i] = momentum * buf![i]! + (keras ? (lr * g) / avg : g / avg);
        p[i] -= keras ? buf![i]! : lr * buf![i]!;
      } else p[i] -= (lr * g) / avg;
    }
  }
}
