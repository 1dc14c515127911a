/**
 * Kernels of the losses that are primitives (binary cross-entropy on logits)
 * and the per-row bookkeeping of the class losses (integer targets checked,
 * class weights looked up, ignored rows zeroed).
 */
import type { FloatArray } from './dtype.js';
import { allocateLike } from './dtype.js';
import { DTypeError, IndexError } from '../errors.js';
import { describeValue } from '../validate.js';

/** softplus(−x) = log(1 + e^{−x}) without overflow: log1p(e^{−|x|}) + max(−x, 0). */
function softplusNeg(v: number): number {
  return Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0);
}

/** ℓ = (1 − t)·x + w·softplus(−x), w = 1 + (pw − 1)·t with pw per class of the last dim (C wide), elementwise. */
export function bceWithLogitsForward(x: FloatArray, t: FloatArray, pw: FloatArray | null, C: number): FloatArray {
  const out = allocateLike(x, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!, tv = t[i]!;
    const w = pw ? 1 + (pw[i % C]! - 1) * tv : 1;
    out[i] = (1 - tv) * v + w * softplusNeg(v);
  }
  return out;
}

/** g·dℓ/dx = g·((1 − t) − w·σ(−x)) and, when wanted, g·dℓ/dt = g·(−x + (pw − 1)·softplus(−x)). */
export function bceWithLogitsBackward(x: FloatArray, t: FloatArray, pw: FloatArray | null, C: number, g: FloatArray, wantT: boolean): [FloatArray, FloatArray | null] {
  const gx = allocateLike(x, x.length);
  const gt = wantT ? allocateLike(t, t.length) : null;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!, tv = t[i]!;
    const p = pw ? pw[i % C]! : 1;
    const w = 1 + (p - 1) * tv;
    const sigNeg = 1 / (1 + Math.exp(v));
    gx[i] = g[i]! * (1 - tv - w * sigNeg);
    if (gt) gt[i] = g[i]! * (-v + (p - 1) * softplusNeg(v));
  }
  return [gx, gt];
}

/** Class targets as int32; a DTypeError naming `op` and the position for one that is not an integer. */
export function classTargets(op: string, target: ArrayLike<number>): Int32Array {
  for (let i = 0; i < target.length; i++) if (!Number.isInteger(target[i]!)) throw new DTypeError(op, `class targets must be integers, got ${describeValue(target[i])} at position ${i}`);
  return Int32Array.from(target);
}

/**
 * Per-row weights w[y_i] (1 without class weights) and 0 on ignored rows,
 * with the targets made safe to index (0 on ignored rows); an IndexError
 * naming `op` and the position for a target outside [0, C).
 */
export function classRowWeights(op: string, targets: Int32Array, C: number, weight: ArrayLike<number> | null, ignoreIndex: number): { w: Float64Array; safe: Int32Array } {
  const w = new Float64Array(targets.length);
  const safe = new Int32Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const y = targets[i]!;
    if (y === ignoreIndex) continue;
    if (y < 0 || y >= C) throw new IndexError(op, `target ${y} at position ${i} is out of range for ${C} classes`);
    safe[i] = y;
    w[i] = weight ? weight[y]! : 1;
  }
  return { w, safe };
}

/** Σ w. */
export function total(w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

/** −1 on rows whose target is not `ignoreIndex`, 0 on those that are. */
export function keptRowSigns(targets: Int32Array, ignoreIndex: number): Float64Array {
  const sign = new Float64Array(targets.length);
  for (let i = 0; i < targets.length; i++) sign[i] = targets[i] === ignoreIndex ? 0 : -1;
  return sign;
}
