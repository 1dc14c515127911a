/**
 * The metrics every classification run computes: top-k accuracy, a
 * confusion matrix (rows the true class, columns the predicted one, as in
 * scikit-learn), and a running mean for losses and accuracies over batches.
 * They read values only (no gradient) and validate shapes and labels.
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ShapeError, ValueError, checkOptions, describeValue, optionalNumber } from '@tapegrad/autograd';

function labelsOf(op: string, targets: Tensor, batch: number, classes: number): ArrayLike<number> {
  if (!(targets instanceof T.Tensor)) throw new ValueError(op, `targets must be a Tensor of class indices, got ${describeValue(targets)}`);
  if (targets.ndim !== 1 || targets.shape[0] !== batch) throw new ShapeError(op, `targets must be [${batch}] class indices, got shape [${targets.shape.join(', ')}]`);
  for (let i = 0; i < batch; i++) {
    const y = targets.data[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new ValueError(op, `target ${describeValue(y)} at position ${i} is not a class index in 0..${classes - 1}`);
  }
  return targets.data;
}

function logitsShape(op: string, logits: Tensor): [number, number] {
  if (!(logits instanceof T.Tensor)) throw new ValueError(op, `logits must be a Tensor, got ${describeValue(logits)}`);
  if (logits.ndim !== 2) throw new ShapeError(op, `logits must be [batch, classes], got shape [${logits.shape.join(', ')}]`);
  return logits.shape as [number, number];
}

/**
 * The fraction of rows whose target is among the k highest logits
 * (top-k accuracy; k = 1 is plain accuracy). A target is in the top k when
 * fewer than k classes score strictly higher; a row with any NaN logit (a
 * diverged model) counts as wrong.
 */
export function accuracy(logits: Tensor, targets: Tensor, options: { topk?: number } = {}): number {
  checkOptions('accuracy', options, ['topk']);
  const [B, C] = logitsShape('accuracy', logits);
  const k = optionalNumber('accuracy', 'topk', options.topk, 1, { integer: true, min: 1, max: C });
  const y = labelsOf('accuracy', targets, B, C);
  if (B === 0) throw new ValueError('accuracy', 'the batch is empty');
  let right = 0;
  for (let b = 0; b < B; b++) {
    const target = logits.data[b * C + y[b]!]!;
    let higher = 0, nonFinite = false;
    for (let c = 0; c < C; c++) {
      const v = logits.data[b * C + c]!;
      if (Number.isNaN(v)) nonFinite = true;
      else if (v > target) higher++;
    }
    // A row with NaN logits (a diverged model) is wrong, never right by default: every comparison with NaN is false.
    if (!nonFinite && !Number.isNaN(target) && higher < k) right++;
  }
  return right / B;
}

/**
 * The C × C confusion matrix as an int32 tensor: entry [i, j] counts the
 * samples of true class i predicted as class j. `predictions` are logits
 * [B, C] (argmax taken) or class indices [B] (then give `numClasses`).
 */
export function confusionMatrix(predictions: Tensor, targets: Tensor, numClasses?: number): Tensor {
  if (!(predictions instanceof T.Tensor)) throw new ValueError('confusionMatrix', `predictions must be a Tensor, got ${describeValue(predictions)}`);
  if (numClasses !== undefined && (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1)) throw new ValueError('confusionMatrix', `numClasses must be a positive integer, got ${describeValue(numClasses)}`);
  const fromLogits = predictions.ndim === 2;
  const C = fromLogits ? predictions.shape[1]! : numClasses;
  if (C === undefined || !Number.isInteger(C) || C < 1) throw new ValueError('confusionMatrix', `numClasses must be a positive integer when predictions are class indices, got ${describeValue(numClasses)}`);
  if (fromLogits && numClasses !== undefined && numClasses !== C) throw new ShapeError('confusionMatrix', `logits have ${C} classes but numClasses is ${describeValue(numClasses)}`);
  const B = predictions.shape[0] ?? 0;
  if (!fromLogits && predictions.ndim !== 1) throw new ShapeError('confusionMatrix', `predictions must be logits [batch, classes] or class indices [batch], got shape [${predictions.shape.join(', ')}]`);
  const pred = fromLogits ? T.argmax(predictions, 1).data : labelsOf('confusionMatrix', predictions, B, C);
  const y = labelsOf('confusionMatrix', targets, B, C);
  const m = new Int32Array(C * C);
  for (let b = 0; b < B; b++) m[y[b]! * C + pred[b]!]!++;
  return T.tensor(m, { shape: [C, C] });
}

/**
 * A running (weighted) mean: add each batch's value with its weight (e.g.
 * its size) and read `mean` — the epoch's average loss or accuracy without
 * keeping the values.
 */
export class RunningMean {
  private sum = 0;
  private weight = 0;
  private n = 0;
  /** Adds a value (a number or a one-element tensor) with a weight (default 1). */
  add(value: number | Tensor, weight = 1): this {
    const v = value instanceof T.Tensor ? value.item() : value;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError('RunningMean.add', `value must be a finite number, got ${describeValue(v)}`);
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) throw new ValueError('RunningMean.add', `weight must be a positive finite number, got ${describeValue(weight)}`);
    this.sum += v * weight;
    this.weight += weight;
    this.n++;
    return this;
  }
  /** Σ wᵢvᵢ / Σ wᵢ; NaN before the first value. */
  get mean(): number {
    return this.weight === 0 ? NaN : this.sum / this.weight;
  }
  /** How many values were added. */
  get count(): number {
    return this.n;
  }
  /** Forgets every value (start of an epoch). */
  reset(): this {
    this.sum = this.weight = this.n = 0;
    return this;
  }
}
