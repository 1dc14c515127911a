import type { FloatArray } from '@tapegrad/autograd';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer, check, splitOptions } from './optimizer.js';

/** SGD hyper-parameters (torch.optim.SGD names, camelCase). */
export interface SGDHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * Stochastic gradient descent with momentum (torch.optim.SGD, PyTorch 1.13):
 *   g ← ±∇ (− when maximize) + λ·θ
 *   b ← g (first step) | μ·b + (1 − τ)·g;   g ← g + μ·b (nesterov) | b
 *   θ ← θ − lr·g
 * Nesterov momentum after Sutskever et al. (2013).
 */
export class SGD extends Optimizer<SGDHyper> {
  protected readonly kind = 'SGD';
  constructor(params: ParamList | readonly ParamGroupInput<SGDHyper>[], options: Partial<SGDHyper> & OptimizerOptions = {}) {
    const [hyper, shared] = splitOptions<SGDHyper>(options);
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...hyper }, shared);
  }
  protected validate(h: SGDHyper): void {
    check('SGD', h.lr >= 0, `invalid learning rate: ${h.lr}`);
    check('SGD', h.momentum >= 0, `invalid momentum: ${h.momentum}`);
    check('SGD', h.weightDecay >= 0, `invalid weightDecay: ${h.weightDecay}`);
    check('SGD', !h.nesterov || (h.momentum > 0 && h.dampening === 0), 'nesterov momentum requires a momentum and zero dampening');
  }
  protected initState(): ParamState {
    return {};
  }
  protected updateParam(p: FloatArray, grad: FloatArray, st: ParamState, h: SGDHyper): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = h;
    const sign = maximize ? -1 : 1;
    let buf = st.momentumBuffer as FloatArray | undefined;
    const first = momentum !== 0 && buf === undefined;
    if (first) {
      buf = new (p.constructor as { new (n: number): FloatArray })(p.length);
      st.momentumBuffer = buf;
    }
    for (let i = 0; i < p.length; i++) {
      let d = sign * grad[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      if (momentum !== 0) {
        const b = first ? d : momentum * buf![i]! + (1 - dampening) * d;
        buf![i] = b;
        d = nesterov ? d + momentum * b : b;
      }
      p[i] -= lr * d;
    }
  }
}
