/**
 * Loss functions with torch.nn.functional semantics, including `reduction`
 * ('mean' | 'sum' | 'none'). Built from primitives, except the logits form of
 * binary cross-entropy, which is one stable primitive.
 */
import { allocate, formatShape, sameShape } from '../backend/index.js';
import { bceWithLogitsBackward, bceWithLogitsForward, classRowWeights, classTargets, keptRowSigns, total } from '../backend/loss.js';
import { ShapeError, ValueError } from '../errors.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { logSoftmax } from './activation.js';
import { abs, neg, sigmoid, softplus, square } from './unary.js';
import { add, div, mul, sub, where, lt } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { gather } from './indexing.js';
import { permute, reshape, unsqueeze, squeeze } from './shape.js';
import { assertFloat, assertSameDType, assertTensor, floatData, wrap } from './util.js';
import { checkOptions, describeValue, optionalChoice, optionalNumber, requireNumber } from '../validate.js';

/** How per-element losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Validates a loss's options object: known keys, a known reduction, tensors where tensors go. */
function lossOptions(op: string, options: unknown, known: readonly string[]): Reduction {
  checkOptions(op, options, ['reduction', ...known]);
  const o = (options ?? {}) as Record<string, unknown>;
  for (const k of ['weight', 'posWeight']) if (o[k] !== undefined && o[k] !== null && known.includes(k)) assertFloat(op, k, o[k] as Tensor);
  return optionalChoice(op, 'reduction', o.reduction, REDUCTIONS, 'mean');
}

function reduce(op: string, loss: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case 'mean':
      return mean(loss);
    case 'sum':
      return sum(loss);
    case 'none':
      return loss;
    default:
      throw new ValueError(op, `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  }
}

function assertSameShape(op: string, input: Tensor, target: Tensor, options: unknown, known: readonly string[] = []): void {
  lossOptions(op, options, known);
  assertFloat(op, 'input', input);
  assertFloat(op, 'target', target);
  assertSameDType(op, input, target, ['input', 'target']);
  if (!sameShape(input.shape, target.shape)) throw new ShapeError(op, `input ${formatShape(input.shape)} and target ${formatShape(target.shape)} must have the same shape`);
}

/** Mean squared error: reduce((x − y)²). */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  assertSameShape('mseLoss', input, target, options);
  return reduce('mseLoss', square(sub(input, target)), options.reduction ?? 'mean');
}

/** Mean absolute error: reduce(|x − y|). */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  assertSameShape('l1Loss', input, target, options);
  return reduce('l1Loss', abs(sub(input, target)), options.reduction ?? 'mean');
}

/**
 * Huber loss with threshold δ (default 1): ½d² for |d| < δ, δ(|d| − ½δ) otherwise,
 * d = x − y (torch.nn.functional.huber_loss).
 */
export function huberLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction; delta?: number } = {}): Tensor {
  assertSameShape('huberLoss', input, target, options, ['delta']);
  const delta = optionalNumber('huberLoss', 'delta', options.delta, 1, { min: 0, minExclusive: true });
  const d = sub(input, target);
  const ad = abs(d);
  const loss = where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta));
  return reduce('huberLoss', loss, options.reduction ?? 'mean');
}

/** Smooth L1 with threshold β (default 1): 0.5d²/β for |d| < β, |d| − 0.5β otherwise (= huber/β). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction; beta?: number } = {}): Tensor {
  assertSameShape('smoothL1Loss', input, target, options, ['beta']);
  const beta = optionalNumber('smoothL1Loss', 'beta', options.beta, 1, { min: 0 });
  const d = sub(input, target);
  const ad = abs(d);
  if (beta === 0) return reduce('smoothL1Loss', ad, options.reduction ?? 'mean');
  const loss = where(lt(ad, beta), div(mul(square(d), 0.5), beta), sub(ad, 0.5 * beta));
  return reduce('smoothL1Loss', loss, options.reduction ?? 'mean');
}

const bceLogitsOp = defineOp({
  name: 'bceWithLogits',
  // ℓ = (1 − t)·x + w·softplus(−x), w = 1 + (pw − 1)·t, softplus(−x) = log1p(e^{−|x|}) + max(−x, 0)
  forward(x: Tensor, t: Tensor, posWeight: Tensor | null) {
    const pw = posWeight ? floatData(posWeight) : null;
    const C = x.shape[x.ndim - 1] ?? 1;
    return { out: wrap(bceWithLogitsForward(floatData(x), floatData(t), pw, C), x.shape), saved: { x, t, pw, C } };
  },
  // dℓ/dx = (1 − t) − w·σ(−x);  dℓ/dt = −x + (pw − 1)·softplus(−x)
  backward({ x, t, pw, C }, g) {
    const [gx, gt] = bceWithLogitsBackward(floatData(x), floatData(t), pw, C, floatData(g), t.requiresGrad);
    return [wrap(gx, x.shape), gt && wrap(gt, t.shape), null];
  },
  // The same in recorded ops: dℓ/dx = (1 − t) − w·σ(−x), dℓ/dt = −x + (pw − 1)·softplus(−x).
  backwardGraph({ x, t, pw, C }, g) {
    const pwT = pw ? wrap(pw, [C]) : null;
    const w = pwT ? add(mul(sub(pwT, 1), t), 1) : null;
    const sigNeg = sigmoid(neg(x));
    const gx = mul(g, sub(sub(1, t), w ? mul(w, sigNeg) : sigNeg));
    const gt = t.requiresGrad ? mul(g, pwT ? add(neg(x), mul(sub(pwT, 1), softplus(neg(x)))) : neg(x)) : null;
    return [gx, gt, null];
  },
});

/**
 * Binary cross-entropy on logits, stable for any x:
 * ℓ = −w·[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))] (torch binary_cross_entropy_with_logits);
 * `posWeight` broadcasts over the last dim, `weight` over the whole loss.
 */
export function bceWithLogits(input: Tensor, target: Tensor, options: { reduction?: Reduction; weight?: Tensor; posWeight?: Tensor } = {}): Tensor {
  assertSameShape('bceWithLogits', input, target, options, ['weight', 'posWeight']);
  const pw = options.posWeight ?? null;
  if (pw && (pw.ndim !== 1 || pw.shape[0] !== (input.shape[input.ndim - 1] ?? 1))) throw new ShapeError('bceWithLogits', `posWeight must be 1-D with the size of the last dim of input ${formatShape(input.shape)}, got ${formatShape(pw.shape)}`);
  let loss = bceLogitsOp(input, target, pw);
  if (options.weight) loss = mul(loss, options.weight);
  return reduce('bceWithLogits', loss, options.reduction ?? 'mean');
}

/** Options of nllLoss/crossEntropy (PyTorch names). */
export interface ClassLossOptions {
  reduction?: Reduction;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
  /** A manual rescaling weight per class, shape [C]. */
  weight?: Tensor;
}

/** Moves the class dim (1) last and flattens: [N, C, d1...] → [N·d1..., C]; targets → [N·d1...]. */
function flattenClasses(op: string, input: Tensor, target: Tensor): { input2d: Tensor; targets: Int32Array; batchShape: number[] } {
  assertTensor(op, 'target', target);
  if (input.ndim === 0) throw new ShapeError(op, 'input must have a class dim');
  const one = input.ndim === 1;
  const x = one ? unsqueeze(input, 0) : input;
  const batchShape = one ? [] : [x.shape[0]!, ...x.shape.slice(2)];
  const expected = one ? [] : batchShape;
  if (!sameShape(target.shape, expected)) throw new ShapeError(op, `target shape ${formatShape(target.shape)} does not match input ${formatShape(input.shape)}; expected ${formatShape(expected)}`);
  const targets = classTargets(op, target.data);
  const moved = x.ndim > 2 ? permute(x, [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1]) : x;
  return { input2d: reshape(moved, [-1, x.shape[1]!]), targets, batchShape };
}

/** Per-row weights w[y_i] (1 without weights), 0 for ignored rows; checks targets are in range. */
function rowWeights(op: string, targets: Int32Array, C: number, weight: Tensor | undefined, ignoreIndex: number): { w: Float64Array; safe: Int32Array } {
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== C)) throw new ShapeError(op, `weight must have shape [${C}], got ${formatShape(weight.shape)}`);
  return classRowWeights(op, targets, C, weight ? weight.data : null, ignoreIndex);
}

function constant(values: Float64Array, like: Tensor, shape: readonly number[]): Tensor {
  const data = allocate(like.dtype as 'float64', values.length);
  data.set(values);
  return new Tensor(data, shape);
}

/** Mean over non-ignored weight: Σ loss / Σ w (PyTorch's weighted 'mean'). */
function reduceWeighted(op: string, loss: Tensor, w: Float64Array, reduction: Reduction, batchShape: number[]): Tensor {
  if (reduction === 'none') return reshape(loss, batchShape);
  if (reduction === 'sum') return sum(loss);
  if (reduction !== 'mean') throw new ValueError(op, `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  return div(sum(loss), total(w));
}

/**
 * Negative log-likelihood of class indices given log-probabilities [N, C] (or
 * [C], or [N, C, d1...]): ℓ_i = −w[y_i]·logp[i, y_i], mean = Σℓ / Σw.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  lossOptions('nllLoss', options, ['ignoreIndex', 'weight']);
  if (options.ignoreIndex !== undefined) requireNumber('nllLoss', 'ignoreIndex', options.ignoreIndex, { integer: true });
  assertFloat('nllLoss', 'input', logProbs);
  const { input2d, targets, batchShape } = flattenClasses('nllLoss', logProbs, target);
  const C = input2d.shape[1]!;
  const { w, safe } = rowWeights('nllLoss', targets, C, options.weight, options.ignoreIndex ?? -100);
  const picked = squeeze(gather(input2d, 1, new Tensor(safe, [safe.length, 1])), 1);
  const loss = mul(picked, constant(w.map((v) => -v), logProbs, [w.length]));
  return reduceWeighted('nllLoss', loss, w, options.reduction ?? 'mean', batchShape);
}

/**
 * Cross-entropy of logits against class indices (torch.nn.functional.cross_entropy):
 * logSoftmax over the class dim (1, or 0 for a 1-D input), then nllLoss;
 * with label smoothing ε the loss is (1 − ε)·nll + ε/C · Σ_c(−w_c·logp_c),
 * normalized like nll under 'mean'. A float target of the input's shape is
 * read as class probabilities: ℓ_i = −Σ_c w_c·p_ic·logp_ic.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: ClassLossOptions & { labelSmoothing?: number } = {}): Tensor {
  lossOptions('crossEntropy', options, ['ignoreIndex', 'weight', 'labelSmoothing']);
  if (options.ignoreIndex !== undefined) requireNumber('crossEntropy', 'ignoreIndex', options.ignoreIndex, { integer: true });
  assertFloat('crossEntropy', 'input', logits);
  assertTensor('crossEntropy', 'target', target);
  const eps = optionalNumber('crossEntropy', 'labelSmoothing', options.labelSmoothing, 0, { min: 0, max: 1 });
  const reduction = options.reduction ?? 'mean';
  const classDim = logits.ndim === 1 ? 0 : 1;
  if (target.dtype !== 'int32' && sameShape(target.shape, logits.shape) && logits.ndim > 0) {
    return probabilityCrossEntropy(logits, target, classDim, eps, options.weight, reduction);
  }
  const logp = logSoftmax(logits, classDim);
  const { labelSmoothing: _smoothing, ...nllOptions } = options;
  const nll = nllLoss(logp, target, { ...nllOptions, reduction });
  if (eps === 0) return nll;
  const { input2d, targets, batchShape } = flattenClasses('crossEntropy', logp, target);
  const C = input2d.shape[1]!;
  const { w } = rowWeights('crossEntropy', targets, C, options.weight, options.ignoreIndex ?? -100);
  const classW = options.weight ? mul(input2d, unsqueeze(options.weight, 0)) : input2d;
  // −Σ_c w_c·logp_c per row, zero on ignored rows
  const sign = keptRowSigns(targets, options.ignoreIndex ?? -100);
  const smooth = mul(sum(classW, { dim: 1 }), constant(sign, logits, [sign.length]));
  const smoothReduced = reduceWeighted('crossEntropy', smooth, w, reduction, batchShape);
  return add(mul(nll, 1 - eps), mul(smoothReduced, eps / C));
}

function probabilityCrossEntropy(logits: Tensor, probs: Tensor, classDim: number, eps: number, weight: Tensor | undefined, reduction: Reduction): Tensor {
  assertSameDType('crossEntropy', logits, probs, ['input', 'target']);
  const C = logits.shape[classDim]!;
  const logp = logSoftmax(logits, classDim);
  let p: Tensor = probs;
  if (eps > 0) p = add(mul(probs, 1 - eps), eps / C);
  let prod = mul(logp, p);
  if (weight) {
    const wShape = logits.shape.map((_, i) => (i === classDim ? C : 1));
    prod = mul(prod, reshape(weight, wShape));
  }
  const loss = mul(sum(prod, { dim: classDim }), -1);
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return logits.ndim === 1 ? loss : div(sum(loss), loss.size);
}
