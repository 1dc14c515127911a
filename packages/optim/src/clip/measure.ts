/** Shared by the norm-based clips: measure per-tensor norms once, then scale in place. */
import type { Tensor } from '@tapegrad/autograd';
import { assertOneDType, combineNorms, dataOf, scaleInPlace, tensorNorm } from '../norms.js';
import type { ClipReport, TensorClipReport } from '../report.js';

/** Per-tensor norms and their combination, measured in one pass. */
export interface Measured {
  /** Norm of each gradient (NaN where the gradient is null). */
  norms: number[];
  /** The global norm (norm of the per-tensor norms). */
  total: number;
}

/** One read pass: each tensor's p-norm and their combination. */
export function measure(op: string, grads: readonly (Tensor | null)[], p: number): Measured {
  assertOneDType(op, grads);
  const norms = grads.map((g) => (g ? tensorNorm(dataOf(g), p) : NaN));
  return { norms, total: combineNorms(norms.filter((_n, i) => grads[i] !== null), p) };
}

/** Multiplies every gradient by `scale` in place and reports it. */
export function scaleAll(name: string, grads: readonly (Tensor | null)[], m: Measured, scale: number, threshold: number | null, p: number): { grads: (Tensor | null)[]; report: ClipReport } {
  const tensors: TensorClipReport[] = [];
  grads.forEach((g, i) => {
    if (!g) return;
    if (scale !== 1) scaleInPlace(dataOf(g), scale);
    tensors.push({ index: i, normBefore: m.norms[i]!, normAfter: m.norms[i]! * scale, scale, clipped: scale !== 1 });
  });
  return {
    grads: [...grads],
    report: { name, normType: p, normBefore: m.total, normAfter: m.total * scale, scale, clipped: scale !== 1 && tensors.length > 0, threshold, tensors },
  };
}

/**
 * The factor that brings a norm down to `threshold`: min(1, t / (norm + eps)).
 * With eps = 0 that is t / max(norm, t); a zero norm is never scaled (no 0/0).
 */
export function clipFactor(norm: number, threshold: number, eps: number): number {
  if (norm === 0) return 1;
  // A NaN norm yields NaN (the optimizer's non-finite policy decides what happens); an infinite one yields 0, as in PyTorch.
  return Math.min(1, threshold / (norm + eps));
}
