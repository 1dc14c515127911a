import type { FloatArray, Tensor } from '@tapegrad/autograd';
import type { OptimizerOptions, ParamGroupInput, ParamList, ParamState } from './optimizer.js';
import { Optimizer, check, splitOptions } from './optimizer.js';

/** Adam/AdamW hyper-parameters (torch.optim.Adam names, camelCase). */
export interface AdamHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function zerosLike(p: FloatArray): FloatArray {
  return new (p.constructor as { new (n: number): FloatArray })(p.length);
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
    const denom = Math.sqrt(second) / bc2Sqrt + h.eps;
    p[i] -= (stepSize * m[i]!) / denom;
  }
}

function validateAdam(kind: string, h: AdamHyper): void {
  check(kind, h.lr >= 0, `invalid learning rate: ${h.lr}`);
  check(kind, h.eps >= 0, `invalid eps: ${h.eps}`);
  check(kind, Array.isArray(h.betas) && h.betas[0] >= 0 && h.betas[0] < 1, `invalid beta parameter at index 0: ${h.betas?.[0]}`);
  check(kind, h.betas[1] >= 0 && h.betas[1] < 1, `invalid beta parameter at index 1: ${h.betas[1]}`);
  check(kind, h.weightDecay >= 0, `invalid weightDecay: ${h.weightDecay}`);
}

function adamState(p: Tensor, h: AdamHyper): ParamState {
  const d = p.data as FloatArray;
  const st: ParamState = { step: 0, expAvg: zerosLike(d), expAvgSq: zerosLike(d) };
  if (h.amsgrad) st.maxExpAvgSq = zerosLike(d);
  return st;
}

/** Adam (torch.optim.Adam, PyTorch 1.13 defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8); weight decay is L2 added to the gradient. */
export class Adam extends Optimizer<AdamHyper> {
  protected readonly kind: string = 'Adam';
  constructor(params: ParamList | readonly ParamGroupInput<AdamHyper>[], options: Partial<AdamHyper> & OptimizerOptions = {}) {
    const [hyper, opts] = splitOptions<AdamHyper>(options);
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...hyper }, opts);
  }
  protected validate(h: AdamHyper): void {
    validateAdam(this.kind, h);
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
  protected readonly kind: string = 'AdamW';
  constructor(params: ParamList | readonly ParamGroupInput<AdamHyper>[], options: Partial<AdamHyper> & OptimizerOptions = {}) {
    const [hyper, opts] = splitOptions<AdamHyper>(options);
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...hyper }, opts);
  }
  protected validate(h: AdamHyper): void {
    validateAdam(this.kind, h);
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
