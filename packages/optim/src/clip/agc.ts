/** Adaptive gradient clipping (unit-wise, against the parameter norm). */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { ValueError, checkOptions } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import type { TensorClipReport } from '../report.js';
import { assertNonNegative, assertOneDType, dataOf, l2Norm } from '../norms.js';

/**
 * ‖x[start .. start+len)‖₂, rescaled by the unit's largest magnitude when the
 * plain sum of squares under- or overflows (as norms.l2Norm does for whole tensors).
 */
function unitNorm(x: FloatArray, start: number, len: number): number {
  const end = start + len;
  let s = 0;
  for (let i = start; i < end; i++) s += x[i]! * x[i]!;
  if (Number.isFinite(s) && s > 1e-280) return Math.sqrt(s);
  let m = 0;
  for (let i = start; i < end; i++) m = Math.max(m, Math.abs(x[i]!));
  if (!Number.isFinite(m) || m === 0) return Math.sqrt(s);
  let scaled = 0;
  for (let i = start; i < end; i++) scaled += (x[i]! / m) ** 2;
  return Math.sqrt(scaled) * m;
}

/** Which parameters AGC leaves alone: names (exact), patterns, or a predicate on name and tensor. */
export type AgcExclude = readonly (string | RegExp)[] | ((name: string, param: Tensor) => boolean);

/** Options of adaptiveGradClip. */
export interface AgcOptions {
  /** Floor on the parameter norm, so zero-initialised units can still move (default 1e-3). */
  eps?: number;
  /**
   * Parameters not clipped at all: the NFNets paper excludes the final
   * classifier layer ("we find it beneficial to not clip the final linear
   * layer"); biases and gains are often excluded too.
   */
  exclude?: AgcExclude;
}

/**
 * AGC from NFNets (Brock, De, Smith & Simonyan 2021, "High-performance
 * large-scale image recognition without normalization", section 4.1), with
 * units as slices along dim 0 (an output unit of a PyTorch [out, in] weight);
 * a 0-d or 1-D tensor (bias, gain) is one unit, as in NFNets, timm and optax:
 *   m = clipping · max(‖Wᵤ‖, eps);  if ‖Gᵤ‖ > m:  Gᵤ ← Gᵤ · m / max(‖Gᵤ‖, 1e-6)
 * After it, every unit has ‖Gᵤ‖ / max(‖Wᵤ‖, eps) ≤ clipping; units under it
 * are untouched, and so are the parameters named by `exclude`. Needs the
 * parameters as well as the gradients.
 */
export function adaptiveGradClip(clipping: number, options: AgcOptions = {}): GradientTransformation<null> {
  checkOptions('adaptiveGradClip', options, ['eps', 'exclude']);
  assertNonNegative('adaptiveGradClip', 'clipping', clipping);
  const eps = assertNonNegative('adaptiveGradClip', 'eps', options.eps ?? 1e-3);
  const excluded = excludeRule(options.exclude);
  const name = `adaptiveGradClip(${clipping}${eps !== 1e-3 ? `, eps=${eps}` : ''}${options.exclude ? ', exclude=…' : ''})`;
  return {
    name,
    init: () => null,
    update(grads, _state, params, names) {
      assertOneDType('adaptiveGradClip', grads);
      if (params.length !== grads.length) throw new ValueError('adaptiveGradClip', `needs one parameter per gradient, got ${params.length} parameters for ${grads.length} gradients`);
      // Every check before the first gradient is scaled: a failure leaves all of them as they were.
      grads.forEach((g, i) => {
        if (g && params[i]!.size !== g.size) throw new ValueError('adaptiveGradClip', `parameter ${names?.[i] ?? i} has ${params[i]!.size} elements but its gradient has ${g.size}`);
      });
      const tensors: TensorClipReport[] = [];
      let sqBefore = 0, sqAfter = 0, unitsClipped = 0, units = 0, tensorsExcluded = 0;
      grads.forEach((g, i) => {
        if (!g) return;
        const p: Tensor = params[i]!;
        const gd = dataOf(g), pd = dataOf(p);
        const before = l2Norm(gd);
        sqBefore += before * before;
        if (excluded(names?.[i] ?? String(i), p)) {
          tensorsExcluded++;
          sqAfter += before * before;
          tensors.push({ index: i, normBefore: before, normAfter: before, scale: 1, clipped: false });
          return;
        }
        const unitLen = p.ndim <= 1 ? Math.max(p.size, 1) : p.size / p.shape[0]!;
        let clippedHere = 0;
        for (let start = 0; start < gd.length; start += unitLen) {
          units++;
          const maxNorm = clipping * Math.max(unitNorm(pd, start, unitLen), eps);
          const gNorm = unitNorm(gd, start, unitLen);
          if (gNorm > maxNorm) {
            const s = maxNorm / Math.max(gNorm, 1e-6);
            for (let k = start; k < start + unitLen; k++) gd[k] *= s;
            clippedHere++;
          }
        }
        const after = clippedHere > 0 ? l2Norm(gd) : before;
        unitsClipped += clippedHere;
        sqAfter += after * after;
        tensors.push({ index: i, normBefore: before, normAfter: after, scale: NaN, clipped: clippedHere > 0 });
      });
      return {
        grads: [...grads],
        state: null,
        report: { name, normType: 2, normBefore: Math.sqrt(sqBefore), normAfter: Math.sqrt(sqAfter), scale: null, clipped: unitsClipped > 0, threshold: clipping, tensors, details: { unitsClipped, units, tensorsExcluded } },
      };
    },
  };
}

/** The exclude option as a predicate; validated once, when the rule is built. */
function excludeRule(exclude: AgcExclude | undefined): (name: string, p: Tensor) => boolean {
  if (exclude === undefined) return () => false;
  if (typeof exclude === 'function') return exclude;
  if (!Array.isArray(exclude)) throw new ValueError('adaptiveGradClip', `exclude must be a list of names or RegExps, or a function (name, param) => boolean; got ${typeof exclude}`);
  exclude.forEach((e, i) => {
    if (typeof e !== 'string' && !(e instanceof RegExp)) throw new ValueError('adaptiveGradClip', `exclude[${i}] must be a name or a RegExp, got ${e === null ? 'null' : typeof e}`);
  });
  return (name) => exclude.some((e) => (typeof e === 'string' ? e === name : e.test(name)));
}
