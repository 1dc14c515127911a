/** Adaptive gradient clipping (unit-wise, against the parameter norm). */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { ValueError } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import type { TensorClipReport } from '../report.js';
import { assertNonNegative, assertOneDType, dataOf, l2Norm } from '../norms.js';

/** Σ x² of x[start .. start+len). */
function unitSquares(x: FloatArray, start: number, len: number): number {
  let s = 0;
  for (let i = start; i < start + len; i++) s += x[i]! * x[i]!;
  return s;
}

/**
 * AGC from NFNets (Brock, De, Smith & Simonyan 2021, "High-performance
 * large-scale image recognition without normalization", section 4.1), with
 * units as slices along dim 0 (an output unit of a PyTorch [out, in] weight;
 * 0-d and 1-D tensors are clipped elementwise):
 *   m = clipping · max(‖Wᵤ‖, eps);  if ‖Gᵤ‖ > m:  Gᵤ ← Gᵤ · m / max(‖Gᵤ‖, 1e-6)
 * After it, every unit has ‖Gᵤ‖ / max(‖Wᵤ‖, eps) ≤ clipping; units under it
 * are untouched. Needs the parameters as well as the gradients.
 */
export function adaptiveGradClip(clipping: number, options: { eps?: number } = {}): GradientTransformation<null> {
  assertNonNegative('adaptiveGradClip', 'clipping', clipping);
  const eps = assertNonNegative('adaptiveGradClip', 'eps', options.eps ?? 1e-3);
  const name = `adaptiveGradClip(${clipping}${eps !== 1e-3 ? `, eps=${eps}` : ''})`;
  return {
    name,
    init: () => null,
    update(grads, _state, params) {
      assertOneDType('adaptiveGradClip', grads);
      if (params.length !== grads.length) throw new ValueError('adaptiveGradClip', `needs one parameter per gradient, got ${params.length} parameters for ${grads.length} gradients`);
      const tensors: TensorClipReport[] = [];
      let sqBefore = 0, sqAfter = 0, unitsClipped = 0, units = 0;
      grads.forEach((g, i) => {
        if (!g) return;
        const p: Tensor = params[i]!;
        if (p.size !== g.size) throw new ValueError('adaptiveGradClip', `parameter ${i} has ${p.size} elements but its gradient has ${g.size}`);
        const gd = dataOf(g), pd = dataOf(p);
        const unitLen = p.ndim <= 1 ? 1 : p.size / p.shape[0]!;
        const before = l2Norm(gd);
        let clippedHere = 0;
        for (let start = 0; start < gd.length; start += unitLen) {
          units++;
          const maxNorm = clipping * Math.max(Math.sqrt(unitSquares(pd, start, unitLen)), eps);
          const gNorm = Math.sqrt(unitSquares(gd, start, unitLen));
          if (gNorm > maxNorm) {
            const s = maxNorm / Math.max(gNorm, 1e-6);
            for (let k = start; k < start + unitLen; k++) gd[k] *= s;
            clippedHere++;
          }
        }
        const after = clippedHere > 0 ? l2Norm(gd) : before;
        unitsClipped += clippedHere;
        sqBefore += before * before;
        sqAfter += after * after;
        tensors.push({ index: i, normBefore: before, normAfter: after, scale: NaN, clipped: clippedHere > 0 });
      });
      return {
        grads: [...grads],
        state: null,
        report: { name, normType: 2, normBefore: Math.sqrt(sqBefore), normAfter: Math.sqrt(sqAfter), scale: null, clipped: unitsClipped > 0, threshold: clipping, tensors, details: { unitsClipped, units } },
      };
    },
  };
}
