import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import type { StateSpec } from './optimizer-state.js';
import { allocateLike, kernels } from '@tapegrad/autograd';

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
 * `l2` is Adam's coupled weight decay (added to g); AdamW passes `decay`
 * (θ ← θ·decay first). The loop over the data is the backend's
 * `kernels.adamUpdate` (SIMD in WebAssembly, bitwise the JS loop).
 */
function adamUpdate(p: FloatArray, grad: FloatArray, st: ParamState, h: AdamHyper, l2: number, decay: number): void {
  const [b1, b2] = h.betas;
  const step = (st.step as number) + 1;
  st.step = step;
  kernels.adamUpdate({
    p,
    grad,
    m: st.expAvg as FloatArray,
    v: st.expAvgSq as FloatArray,
    vmax: (st.maxExpAvgSq as FloatArray | undefined) ?? null,
    b1,
    b2,
    stepSize: h.lr / (1 - Math.pow(b1, step)),
    bc2Sqrt: Math.sqrt(1 - Math.pow(b2, step)),
    eps: h.eps,
    sign: h.maximize ? -1 : 1,
    l2,
    decay,
    keras: h.epsilonPlacement === 'keras',
  });
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
    adamUpdate(p, grad, st, h, h.weightDecay, 1);
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
    adamUpdate(p, grad, st, h, 0, 1 - h.lr * h.weightDecay);
  }
}
