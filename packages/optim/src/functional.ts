/** PyTorch-style free functions (torch.nn.utils.clip_grad_norm_, clip_grad_value_, get_total_norm). */
import type { Tensor } from '@tapegrad/autograd';
import { NonFiniteError } from '@tapegrad/autograd';
import { clipByGlobalNorm } from './clip/global-norm.js';
import { clipByValue } from './clip/value.js';
import { measure } from './clip/measure.js';
import { parseNormType } from './norms.js';
import { applyTransform } from './transform.js';

function asList(params: Tensor | Iterable<Tensor>): Tensor[] {
  return params instanceof Object && Symbol.iterator in params ? [...(params as Iterable<Tensor>)] : [params as Tensor];
}

/** The p-norm of all given tensors together, as if concatenated (norm of per-tensor norms). */
export function getTotalNorm(tensors: Tensor | Iterable<Tensor>, normType: number | 'inf' = 2, options: { errorIfNonfinite?: boolean } = {}): number {
  const p = parseNormType('getTotalNorm', normType);
  const total = measure('getTotalNorm', asList(tensors), p).total;
  if (options.errorIfNonfinite && !Number.isFinite(total)) throw new NonFiniteError('getTotalNorm', `the total norm of order ${p} is ${total}`);
  return total;
}

/**
 * Clips the gradients of `params` in place so that their global norm is at
 * most maxNorm (scale min(1, maxNorm / (total + 1e-6))) and returns the total
 * norm before clipping, like torch.nn.utils.clip_grad_norm_. Parameters
 * without a gradient are skipped. With errorIfNonfinite a NaN/Inf total norm
 * raises and leaves every gradient unchanged.
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, options: { normType?: number | 'inf'; errorIfNonfinite?: boolean } = {}): number {
  const list = asList(params);
  const p = parseNormType('clipGradNorm_', options.normType);
  if (options.errorIfNonfinite) {
    const total = getTotalNorm(list.map((t) => t.grad).filter((g): g is Tensor => g !== null), p);
    if (!Number.isFinite(total)) throw new NonFiniteError('clipGradNorm_', `the total norm of order ${p} of the gradients is ${total}; gradients are unchanged`);
  }
  return applyTransform(clipByGlobalNorm(maxNorm, { normType: p }), list).report.normBefore;
}

/** Clamps every gradient entry of `params` to [−clipValue, clipValue] in place (torch.nn.utils.clip_grad_value_). */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  applyTransform(clipByValue(clipValue), asList(params));
}
