/** Elementwise clipping of gradient values. */
import type { FloatArray } from '@tapegrad/autograd';
import { ValueError, requireNumber } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import type { TensorClipReport } from '../report.js';
import { assertOneDType, dataOf } from '../norms.js';

/** Clamps in place; returns [Σx² before, Σx² after, entries changed] from the same pass. */
function clampCounting(x: FloatArray, lo: number, hi: number): [number, number, number] {
  let before = 0, after = 0, changed = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    before += v * v;
    const c = v < lo ? lo : v > hi ? hi : v;
    if (c !== v) {
      x[i] = c;
      changed++;
    }
    after += c * c;
  }
  return [before, after, changed];
}

/**
 * Clamps every gradient entry to [min, max]; `clipByValue(v)` (v ≥ 0) means [−v, v]:
 *   gᵢⱼ ← min(max(gᵢⱼ, min), max)
 * Signs are kept and entries already in range are unchanged. Sources: Keras
 * optimizers' `clipvalue`; torch.nn.utils.clip_grad_value_; optax.clip.
 * NaN entries pass through unchanged (use the optimizer's non-finite policy).
 */
export function clipByValue(minOrBound: number, max?: number): GradientTransformation<null> {
  if (max === undefined) requireNumber('clipByValue', 'the bound', minOrBound, { min: 0 });
  else {
    requireNumber('clipByValue', 'min', minOrBound);
    requireNumber('clipByValue', 'max', max);
  }
  const lo = max === undefined ? -minOrBound : minOrBound;
  const hi = max === undefined ? minOrBound : max;
  if (lo > hi) throw new ValueError('clipByValue', `need finite bounds with min ≤ max, got [${lo}, ${hi}]`);
  const name = max === undefined ? `clipByValue(${hi})` : `clipByValue(${lo}, ${hi})`;
  return {
    name,
    init: () => null,
    update(grads) {
      assertOneDType('clipByValue', grads);
      const tensors: TensorClipReport[] = [];
      let sqBefore = 0, sqAfter = 0, changedTotal = 0;
      grads.forEach((g, i) => {
        if (!g) return;
        const [b, a, changed] = clampCounting(dataOf(g), lo, hi);
        sqBefore += b;
        sqAfter += a;
        changedTotal += changed;
        tensors.push({ index: i, normBefore: Math.sqrt(b), normAfter: Math.sqrt(a), scale: NaN, clipped: changed > 0 });
      });
      return {
        grads: [...grads],
        state: null,
        report: { name, normType: 2, normBefore: Math.sqrt(sqBefore), normAfter: Math.sqrt(sqAfter), scale: null, clipped: changedTotal > 0, threshold: hi, tensors, details: { entriesClipped: changedTotal } },
      };
    },
  };
}
