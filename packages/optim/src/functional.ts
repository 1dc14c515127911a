/** PyTorch-style free functions (torch.nn.utils.clip_grad_norm_, clip_grad_value_, get_total_norm). */
import { NonFiniteError, Tensor, ValueError, checkOptions, describeValue, optionalBoolean, requireNumber } from '@tapegrad/autograd';
import { clipByGlobalNorm } from './clip/global-norm.js';
import { clipByValue } from './clip/value.js';
import { clipFactor, measure } from './clip/measure.js';
import { assertOneDType, dataOf, parseNormType, scaleInPlace } from './norms.js';
import { applyTransform } from './transform.js';

function asList(fn: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  if (params instanceof Tensor) return [params];
  if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) throw new ValueError(fn, `expected a Tensor or a list of tensors, got ${describeValue(params)}`);
  const list = [...(params as Iterable<unknown>)];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(fn, `item ${i} must be a Tensor, got ${describeValue(t)}`);
  });
  return list as Tensor[];
}

/** Throws a NonFiniteError naming the first tensor (by position) whose gradient norm is NaN/Inf. */
function assertFiniteGrads(fn: string, params: readonly Tensor[], p: number, total: number): void {
  if (Number.isFinite(total)) return;
  const bad: string[] = [];
  params.forEach((t, i) => {
    const g = t.grad;
    if (g && !Number.isFinite(measure(fn, [g], p).total)) bad.push(`parameter ${i} (shape [${g.shape.join(', ')}])`);
  });
  throw new NonFiniteError(fn, `the total norm of order ${p} of the gradients is ${total}, from ${bad.join(', ') || 'the combined norm overflowing'}; gradients are unchanged`);
}

/** The p-norm of all given tensors together, as if concatenated (norm of per-tensor norms). */
export function getTotalNorm(tensors: Tensor | Iterable<Tensor>, normType: number | 'inf' = 2, options: { errorIfNonfinite?: boolean } = {}): number {
  checkOptions('getTotalNorm', options, ['errorIfNonfinite']);
  const errorIfNonfinite = optionalBoolean('getTotalNorm', 'errorIfNonfinite', options.errorIfNonfinite, false);
  const p = parseNormType('getTotalNorm', normType);
  const list = asList('getTotalNorm', tensors);
  const total = measure('getTotalNorm', list, p).total;
  if (errorIfNonfinite && !Number.isFinite(total)) {
    const bad = list.findIndex((t) => !Number.isFinite(measure('getTotalNorm', [t], p).total));
    throw new NonFiniteError('getTotalNorm', `the total norm of order ${p} is ${total}${bad >= 0 ? `, from tensor ${bad}` : ''}`);
  }
  return total;
}

/**
 * Clips the gradients of `params` in place so that their global norm is at
 * most maxNorm (scale min(1, maxNorm / (total + 1e-6))) and returns the total
 * norm before clipping, like torch.nn.utils.clip_grad_norm_. Parameters
 * without a gradient are skipped. With errorIfNonfinite a NaN/Inf total norm
 * raises, naming the parameters whose gradient is not finite, and leaves
 * every gradient unchanged.
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, options: { normType?: number | 'inf'; errorIfNonfinite?: boolean } = {}): number {
  checkOptions('clipGradNorm_', options, ['normType', 'errorIfNonfinite']);
  const list = asList('clipGradNorm_', params);
  requireNumber('clipGradNorm_', 'maxNorm', maxNorm, { min: 0 });
  const p = parseNormType('clipGradNorm_', options.normType);
  if (optionalBoolean('clipGradNorm_', 'errorIfNonfinite', options.errorIfNonfinite, false)) {
    const total = measure('clipGradNorm_', list.map((t) => t.grad), p).total;
    assertFiniteGrads('clipGradNorm_', list, p, total);
  }
  return applyTransform(clipByGlobalNorm(maxNorm, { normType: p }), list).report.normBefore;
}

/**
 * Scales the gradients of `params` in place by min(1, maxNorm / (totalNorm + 1e-6))
 * with a total norm the caller already has (torch.nn.utils.clip_grads_with_norm_,
 * PyTorch 2.6): computing the norm and clipping by it are separate, so the
 * norm can be measured once (e.g. across pipeline stages) and logged.
 */
export function clipGradsWithNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, totalNorm: number): void {
  const list = asList('clipGradsWithNorm_', params);
  requireNumber('clipGradsWithNorm_', 'maxNorm', maxNorm, { min: 0 });
  requireNumber('clipGradsWithNorm_', 'totalNorm', totalNorm, { min: 0, infinite: true });
  const scale = clipFactor(totalNorm, maxNorm, 1e-6);
  if (scale === 1) return;
  assertOneDType('clipGradsWithNorm_', list.map((t) => t.grad));
  for (const t of list) if (t.grad) scaleInPlace(dataOf(t.grad), scale);
}

/** Clamps every gradient entry of `params` to [−clipValue, clipValue] in place (torch.nn.utils.clip_grad_value_). */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  applyTransform(clipByValue(clipValue), asList('clipGradValue_', params));
}
