import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer, check, splitOptions } from './optimizer.js';

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
  protected readonly kind = 'Adagrad';
  constructor(params: ParamList | readonly ParamGroupInput<AdagradHyper>[], options: Partial<AdagradHyper> & OptimizerOptions = {}) {
    const [hyper, shared] = splitOptions<AdagradHyper>(options);
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...hyper }, shared);
  }
  protected validate(h: AdagradHyper): void {
    check('Adagrad', h.lr >= 0, `invalid learning rate: ${h.lr}`);
    check('Adagrad', h.lrDecay >= 0, `invalid lrDecay: ${h.lrDecay}`);
    check('Adagrad', h.weightDecay >= 0, `invalid weightDecay: ${h.weightDecay}`);
    check('Adagrad', h.initialAccumulatorValue >= 0, `invalid initialAccumulatorValue: ${h.initialAccumulatorValue}`);
    check('Adagrad', h.eps >= 0, `invalid eps: ${h.eps}`);
  }
  protected initState(p: Tensor, h: AdagradHyper): ParamState {
    const sum = new (p.data.constructor as { new (n: number): FloatArray })(p.size);
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
