/** Clipping each gradient tensor by its own norm. */
import type { GradientTransformation } from '../transform.js';
import type { TensorClipReport } from '../report.js';
import { assertNonNegative, dataOf, scaleInPlace } from '../norms.js';
import { measure } from './measure.js';

/**
 * Clips each tensor on its own to L2 norm at most `maxNorm`:
 *   gᵢ ← gᵢ · maxNorm / max(‖gᵢ‖₂, maxNorm)
 * Sources: tf.clip_by_norm; Keras optimizers' `clipnorm`. Unlike
 * clipByGlobalNorm, tensors get different factors, so the direction of the
 * whole gradient is in general NOT kept — only each tensor's direction.
 */
export function clipByNorm(maxNorm: number): GradientTransformation<null> {
  assertNonNegative('clipByNorm', 'maxNorm', maxNorm);
  const name = `clipByNorm(${maxNorm})`;
  return {
    name,
    init: () => null,
    update(grads) {
      const m = measure('clipByNorm', grads, 2);
      const tensors: TensorClipReport[] = [];
      let sqAfter = 0;
      grads.forEach((g, i) => {
        if (!g) return;
        const n = m.norms[i]!;
        // n > maxNorm also covers maxNorm = 0 with n > 0 (factor 0); n = 0 is left alone.
        const scale = n > maxNorm ? maxNorm / n : 1;
        scaleInPlace(dataOf(g), scale);
        const after = n * scale;
        sqAfter += after * after;
        tensors.push({ index: i, normBefore: n, normAfter: after, scale, clipped: scale !== 1 });
      });
      return {
        grads: [...grads],
        state: null,
        report: { name, normType: 2, normBefore: m.total, normAfter: Math.sqrt(sqAfter), scale: null, clipped: tensors.some((t) => t.clipped), threshold: maxNorm, tensors },
      };
    },
  };
}
