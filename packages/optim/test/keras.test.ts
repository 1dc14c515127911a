/**
 * Keras conventions, as explicit options, against values computed from
 * Keras 3's published update rules (keras/src/optimizers/{adam,rmsprop}.py and
 * the base optimizer's weight decay), two steps each, from θ₀ = [1, −2] with
 * gradients g₁ = [0.5, −1] then g₂ = [−0.2, 0.3], lr 0.1.
 *
 * Adam (keras), ε = 0.1: α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), θ ← θ − α_t·m/(√v + ε).
 *   Step 1: m = 0.05, v = 0.00025, α₁ = 0.0316227766, √v = 0.0158113883,
 *   θ₀ − 0.05·α₁/(√v + 0.1) = 1 − 0.0136527059 = 0.9863472941.
 * RMSprop (keras), ρ = 0.9, ε = 0.1: s ← ρs + (1 − ρ)g², θ ← θ − lr·g/√(s + ε).
 *   Step 1: s = 0.025, 1 − 0.1·0.5/√0.125 = 0.8585786438.
 * Decoupled weight decay λ = 0.5 (Keras 3 `weight_decay`): θ ← θ − lr·λ·θ before the update.
 *   SGD step 1: 1·(1 − 0.05) − 0.1·0.5 = 0.9.
 */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { Adam, AdamW, RMSprop, SGD } from '../src/index.js';

const GRADS = [[0.5, -1], [-0.2, 0.3]];

/** Runs two steps feeding GRADS; returns θ after each. */
function run(make: (p: T.Tensor) => { step(): unknown }): number[][] {
  const p = T.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
  const opt = make(p);
  return GRADS.map((g) => {
    p.grad = T.tensor(g, { dtype: 'float64' });
    opt.step();
    return Array.from(p.data);
  });
}
const expectClose = (got: number[][], want: number[][]) => got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 12)));

describe('Keras conventions', () => {
  it("Adam epsilonPlacement 'keras': ε added to √v before the bias correction (Keras/TF, Kingma & Ba's ε̂)", () => {
    const keras = run((p) => new Adam([p], { lr: 0.1, eps: 0.1, epsilonPlacement: 'keras' }));
    expectClose(keras, [[0.9863472940504185, -1.9759746926647959], [0.981320106090418, -1.9653589005447605]]);
    // The PyTorch placement differs visibly at this ε: lr/(1 − β₁)·m/(√v/√(1 − β₂) + ε) = 0.1·0.5/(0.5 + 0.1) on step 1.
    const torch = run((p) => new Adam([p], { lr: 0.1, eps: 0.1 }));
    expect(torch[0]![0]).toBeCloseTo(1 - 0.05 / 0.6, 12);
    // AdamW shares the rule.
    expect(run((p) => new AdamW([p], { lr: 0.1, eps: 0.1, weightDecay: 0, epsilonPlacement: 'keras' }))).toEqual(keras);
  });
  it("RMSprop epsilonPlacement 'keras': ε inside the root, and momentum over lr-scaled increments (plain, centered + momentum)", () => {
    expectClose(run((p) => new RMSprop([p], { lr: 0.1, alpha: 0.9, eps: 0.1, epsilonPlacement: 'keras' })), [[0.8585786437626906, -1.776393202250021], [0.9148107994742439, -1.843643578199354]]);
    expectClose(run((p) => new RMSprop([p], { lr: 0.1, alpha: 0.9, eps: 0.1, momentum: 0.5, centered: true, epsilonPlacement: 'keras' })), [[0.8571428571428571, -1.7705842661294382], [0.842085871730911, -1.7237434496710262]]);
    // PyTorch's: 1 − 0.1·0.5/(√0.025 + 0.1) on step 1.
    expect(run((p) => new RMSprop([p], { lr: 0.1, alpha: 0.9, eps: 0.1 }))[0]![0]).toBeCloseTo(1 - 0.05 / (Math.sqrt(0.025) + 0.1), 12);
  });
  it('decoupledWeightDecay (Keras 3 weight_decay) on any optimizer: θ ← θ − lr·λ·θ before the update', () => {
    expectClose(run((p) => new SGD([p], { lr: 0.1, decoupledWeightDecay: 0.5 })), [[0.9, -1.8], [0.875, -1.74]]);
    expectClose(run((p) => new Adam([p], { lr: 0.1, eps: 0.1, epsilonPlacement: 'keras', decoupledWeightDecay: 0.5 })), [[0.9363472940504185, -1.8759746926647958], [0.884502741387897, -1.7715601659115205]]);
  });
  it('wrong values and Keras spellings are named errors that point to the option', () => {
    const p = T.tensor([1], { dtype: 'float64', requiresGrad: true });
    expect(() => new Adam([p], { epsilonPlacement: 'tf' as never })).toThrow(/epsilonPlacement must be one of 'pytorch', 'keras'/);
    expect(() => new SGD([p], { lr: 0.1, decoupledWeightDecay: -1 })).toThrow(/decoupledWeightDecay/);
    expect(() => new SGD([p], { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(/decoupledWeightDecay.*Keras 3/);
    expect(() => new RMSprop([p], { rho: 0.9 } as never)).toThrow(/rho is `alpha`/);
    expect(() => new SGD([p], { lr: 0.1, clipnorm: 1 } as never)).toThrow(/clipnorm is `clip: clipByNorm\(v\)`/);
  });
});
