import type { FloatArray } from '@tapegrad/autograd';
import { ValueError } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import type { StateSpec } from './optimizer-state.js';
import { allocateLike } from '@tapegrad/autograd';

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
  /** The type and range of each hyper-parameter (PyTorch's constructor checks, plus types). */
  static readonly hyperSpec: HyperSpec<SGDHyper> = {
    lr: { type: 'number', min: 0 },
    momentum: { type: 'number', min: 0 },
    dampening: { type: 'number' },
    weightDecay: { type: 'number', min: 0 },
    nesterov: { type: 'boolean' },
    maximize: { type: 'boolean' },
  };
  constructor(params: ParamList | readonly ParamGroupInput<SGDHyper>[], options: Partial<SGDHyper> & OptimizerOptions = {}) {
    super('SGD', params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options, SGD.hyperSpec);
  }
  protected override validate(h: SGDHyper): void {
    if (h.nesterov && !(h.momentum > 0 && h.dampening === 0)) throw new ValueError('SGD', 'nesterov momentum requires a momentum and zero dampening');
  }
  protected stateSpec(): StateSpec {
    return { counters: [], buffers: [], optionalBuffers: ['momentumBuffer'] };
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
      buf = allocateLike(p, p.length);
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
