/** Clipping by the norm of all gradients together, and normalization to unit norm. */
import { checkOptions } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import { assertNonNegative, dataOf, parseNormType, scaleInPlace } from '../norms.js';

/** Below this global norm the gradients are float64 subnormals (float32 data never gets here: its squares fit in float64). */
const TINY = 2 ** -900;
const RESCALE = 2 ** 600;
import { clipFactor, measure, scaleAll } from './measure.js';

/** Options of clipByGlobalNorm. */
export interface GlobalNormOptions {
  /** 2 (default), 1, or Infinity / 'inf'. */
  normType?: number | 'inf';
  /**
   * Added to the norm in the denominator. 1e-6 (default) reproduces PyTorch's
   * clip_grad_norm_; 0 gives the exact rule of tf.clip_by_global_norm / optax.
   */
  eps?: number;
}

/**
 * Scales every gradient by one factor so that their global norm is at most
 * `maxNorm`:
 *   n = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p,   s = min(1, maxNorm / (n + eps)),   gᵢ ← s·gᵢ
 * The direction of the whole gradient is kept. Sources: Pascanu, Mikolov &
 * Bengio (2013), "On the difficulty of training recurrent neural networks",
 * Algorithm 1; torch.nn.utils.clip_grad_norm_ (eps = 1e-6);
 * tf.clip_by_global_norm and optax.clip_by_global_norm (eps = 0).
 * A zero gradient stays zero; maxNorm = 0 zeroes every gradient without NaN.
 */
export function clipByGlobalNorm(maxNorm: number, options: GlobalNormOptions = {}): GradientTransformation<null> {
  checkOptions('clipByGlobalNorm', options, ['normType', 'eps']);
  assertNonNegative('clipByGlobalNorm', 'maxNorm', maxNorm);
  const p = parseNormType('clipByGlobalNorm', options.normType);
  const eps = assertNonNegative('clipByGlobalNorm', 'eps', options.eps ?? 1e-6);
  const name = `clipByGlobalNorm(${maxNorm}${p !== 2 ? `, L${p}` : ''}${eps !== 1e-6 ? `, eps=${eps}` : ''})`;
  return {
    name,
    init: () => null,
    update(grads) {
      const m = measure('clipByGlobalNorm', grads, p);
      const { grads: out, report } = scaleAll(name, grads, m, clipFactor(m.total, maxNorm, eps), maxNorm, p);
      return { grads: out, state: null, report };
    },
  };
}

/**
 * Scales all gradients to unit global L2 norm: gᵢ ← gᵢ / ‖g‖ (a zero
 * gradient stays zero). Normalized gradient descent; see Hazan, Levy &
 * Shalev-Shwartz (2015), "Beyond convexity: stochastic quasi-convex optimization".
 */
export function normalizeGradient(): GradientTransformation<null> {
  const name = 'normalizeGradient()';
  return {
    name,
    init: () => null,
    update(grads) {
      const original = measure('normalizeGradient', grads, 2);
      let m = original;
      if (m.total > 0 && m.total < TINY) {
        // At subnormal scale the norm itself is not representable precisely. Multiplying float64
        // data by a power of two is exact, so rescale first and measure again.
        for (const g of grads) if (g) scaleInPlace(dataOf(g), RESCALE);
        m = measure('normalizeGradient', grads, 2);
      }
      const scale = m.total > 0 ? 1 / m.total : 1;
      const { grads: out, report } = scaleAll(name, grads, m, scale, 1, 2);
      const factor = m === original ? 1 : RESCALE;
      const patched = {
        ...report,
        normBefore: original.total,
        scale: scale * factor,
        tensors: report.tensors.map((t) => ({ ...t, normBefore: original.norms[t.index]!, scale: t.scale * factor })),
      };
      return { grads: out, state: null, report: patched };
    },
  };
}
