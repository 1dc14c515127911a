import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import type { StateSpec } from './optimizer-state.js';
import { allocateLike } from '@tapegrad/autograd';

/** Adam/AdamW hyper-parameters (torch.optim.Adam names, camelCase). */
export interface AdamHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /**
   * Where ε goes. 'pytorch' (default): θ ← θ − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε).
   * 'keras' (Keras, TensorFlow; the "ε̂" of Kingma & Ba before their §2.1):
   * θ ← θ − lr·(√(1 − β₂ᵗ)/(1 − β₁ᵗ))·m/(√v + ε), i.e. ε added to √v before the
   * bias correction — a larger effective ε early in training. Keras's default
   * ε is 1e-7: pass `eps: 1e-7` as well to reproduce a Keras run.
   */
  epsilonPlacement: 'pytorch' | 'keras';
}

function zerosLike(p: FloatArray): FloatArray {
  return allocateLike(p, p.length);
}

/**
 * The shared Adam update (Kingma & Ba 2015, with bias correction; AMSGrad from
 * Reddi, Kale & Kumar 2018), exactly as torch.optim.Adam 1.13 computes it:
 *   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂ ← max(v̂, v) (amsgrad)
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * `l2` is Adam's coupled weight decay (added to g); AdamW decays θ beforehand.
 */
function adamUpdate(p: FloatArray, grad: FloatArray, st: ParamState, h: AdamHyper, l2: number): void {
  const [b1, b2] = h.betas;
  const step = (st.step as number) + 1;
  st.step = step;
  const m = st.expAvg as FloatArray, v = st.expAvgSq as FloatArray;
  const vmax = st.maxExpAvgSq as FloatArray | undefined;
  const stepSize = h.lr / (1 - Math.pow(b1, step));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
  const sign = h.maximize ? -1 : 1;
  const keras = h.epsilonPlacement === 'keras';
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
    const denom = keras ? (Math.sqrt(second) + h.eps) / bc2Sqrt : Math.sqrt(second) / bc2Sqrt + h.eps;
    p[i] -= (stepSize * m[i]!) / denom;
  }
}

/** Adam's and AdamW's hyper-parameters, typed and ranged as torch.optim.Adam checks them. */
const ADAM_SPEC: HyperSpec<AdamHyper> = {
  lr: { type: 'number', min: 0 },
  betas: { type: 'betas' },
  eps: { type: 'number', min: 0 },
  weightDecay: { type: 'number', min: 0 },
  amsgrad: { type: 'boolean' },
  maximize: { type: 'boolean' },
  epsilonPlacement: { type: 'choice', values: ['pytorch', 'keras'] },
};

function adamStateSpec(h: AdamHyper): StateSpec {
  return { counters: ['step'], buffers: h.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'] };
}

function adamState(p: Tensor, h: AdamHyper): ParamState {
  const d = p.data as FloatArray;
  const st: ParamState = { step: 0, expAvg: zerosLike(d), expAvgSq: zerosLike(d) };
  if (h.amsgrad) st.maxExpAvgSq = zerosLike(d);
  return st;
}

/** Adam (torch.optim.Adam, PyTorch 1.13 defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8); weight decay is L2 added to the gradient. */
export class Adam extends Optimizer<AdamHyper> {
  constructor(params: ParamList | readonly ParamGroupInput<AdamHyper>[], options: Partial<AdamHyper> & OptimizerOptions = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, epsilonPlacement: 'pytorch' }, options, ADAM_SPEC);
  }
  protected stateSpec(h: AdamHyper): StateSpec {
    return adamStateSpec(h);
  }
  protected initState(p: Tensor, h: AdamHyper): ParamState {
    return adamState(p, h);
  }
  protected updateParam(p: FloatArray, grad: FloatArray, st: ParamState, h: AdamHyper): void {
    adamUpdate(p, grad, st, h, h.weightDecay);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled weight decay regularization";
 * torch.optim.AdamW, default weightDecay 1e-2): θ ← θ·(1 − lr·λ), then the
 * Adam update without L2 in the gradient.
 */
export class AdamW extends Optimizer<AdamHyper> {
  constructor(params: ParamList | readonly ParamGroupInput<AdamHyper>[], options: Partial<AdamHyper> & OptimizerOptions = {}) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, epsilonPlacement: 'pytorch' }, options, ADAM_SPEC);
  }
  protected stateSpec(h: AdamHyper): StateSpec {
    return adamStateSpec(h);
  }
  protected initState(p: Tensor, h: AdamHyper): ParamState {
    return adamState(p, h);
  }
  protected updateParam(p: FloatArray, grad: FloatArray, st: ParamState, h: AdamHyper): void {
    const decay = 1 - h.lr * h.weightDecay;
    if (decay !== 1) for (let i = 0; i < p.length; i++) p[i] *= decay;
    adamUpdate(p, grad, st, h, 0);
  }
}
