import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import type { StateSpec } from './optimizer-state.js';
import { allocateLike } from '@tapegrad/autograd';

/** Adagrad hyper-parameters (torch.optim.Adagrad names, camelCase). */
export interface AdagradHyper {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011) as torch.optim.Adagrad 1.13
 * (defaults lr 1e-2, eps 1e-10):
 *   g ← ±∇ + λθ;  η = lr / (1 + (t − 1)·lrDecay);  s ← s + g²;  θ ← θ − η·g / (√s + ε)
 * with s starting at initialAccumulatorValue.
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  /** The type and range of each hyper-parameter (torch.optim.Adagrad's checks, plus types). */
  static readonly hyperSpec: HyperSpec<AdagradHyper> = {
    lr: { type: 'number', min: 0 },
    lrDecay: { type: 'number', min: 0 },
    weightDecay: { type: 'number', min: 0 },
    initialAccumulatorValue: { type: 'number', min: 0 },
    eps: { type: 'number', min: 0 },
    maximize: { type: 'boolean' },
  };
  constructor(params: ParamList | readonly ParamGroupInput<AdagradHyper>[], options: Partial<AdagradHyper> & OptimizerOptions = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options, Adagrad.hyperSpec);
  }
  protected stateSpec(): StateSpec {
    return { counters: ['step'], buffers: ['sum'] };
  }
  protected initState(p: Tensor, h: AdagradHyper): ParamState {
    const sum = allocateLike(p.data as FloatArray, p.size);
    sum.fill(h.initialAccumulatorValue);
    return { step: 0, sum };
  }
  protected updateParam(p: FloatArray, grad: FloatArray, st: ParamState, h: AdagradHyper): void {
    const step = (st.step as number) + 1;
    st.step = step;
    const clr = h.lr / (1 + (step - 1) * h.lrDecay);
    const sum = st.sum as FloatArray;
    const sign = h.maximize ? -1 : 1;
    for (let i = 0; i < p.length; i++) {
      let g = sign * grad[i]!;
      if (h.weightDecay !== 0) g += h.weightDecay * p[i]!;
      sum[i] += g * g;
      p[i] -= (clr * g) / (Math.sqrt(sum[i]!) + h.eps);
    }
  }
}
