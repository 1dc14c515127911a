/** Clipping thresholds learned from the history of gradient norms. */
import { ValueError, checkOptions, optionalNumber } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import { clipFactor, measure, scaleAll } from './measure.js';

/** State of autoClip: the gradient norms seen so far (newest last). */
export interface AutoClipState {
  [key: string]: number[] | number;
  /**
   * The norms seen, oldest first; entries from `count` on are scratch (left
   * by an update whose result was discarded) and are not part of the state.
   */
  history: number[];
  /** How many entries of `history` this state holds. */
  count: number;
}

/** The p-th percentile (0..100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/** percentile() of values already sorted ascending. */
function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** First index whose value is ≥ v (binary search in an ascending array). */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** First index whose value is > v. */
function upperBound(a: readonly number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * AutoClip (Seetharaman, Wichern, Pardo & Le Roux 2020, "AutoClip: Adaptive
 * gradient clipping for source separation networks"): append the current
 * global L2 norm to the history, then clip the global norm to the
 * `percentile`-th percentile of the history (default 10):
 *   hₜ = [n₁ … nₜ],  τ = percentile(hₜ, p),  g ← g · min(1, τ / nₜ)
 * `history` bounds how many recent norms are kept (default: all, as in the paper).
 * Non-finite norms are not added to the history. A step costs one binary
 * search and one insertion into the sorted history (a memmove), never a sort.
 */
export function autoClip(options: { percentile?: number; history?: number } = {}): GradientTransformation<AutoClipState> {
  checkOptions('autoClip', options, ['percentile', 'history']);
  const p = optionalNumber('autoClip', 'percentile', options.percentile, 10, { min: 0, max: 100 });
  const keep = options.history === Infinity ? Infinity : optionalNumber('autoClip', 'history', options.history, Infinity, { integer: true, min: 1 });
  // For each history array: the sorted window it held at a given count, so a step inserts one norm
  // by binary search instead of sorting the whole history.
  const sortedOf = new WeakMap<number[], { count: number; sorted: number[] }>();
  // For each history array: the largest count of any state returned with it.
  const issued = new WeakMap<number[], number>();
  const name = `autoClip(p=${p}${Number.isFinite(keep) ? `, history=${keep}` : ''})`;
  return {
    name,
    init: () => ({ history: [], count: 0 }),
    update(grads, state) {
      const m = measure('autoClip', grads, 2);
      let history = state.history;
      let count = state.count ?? history.length;
      if (!Array.isArray(history) || !Number.isInteger(count) || count < 0 || count > history.length) throw new ValueError('autoClip', `invalid state: count ${String(count)} for a history of ${Array.isArray(history) ? history.length : 'no'} entries`);
      const start = (c: number) => (Number.isFinite(keep) ? Math.max(0, c - keep) : 0);
      const cached = sortedOf.get(history);
      const sorted = cached && cached.count === count ? cached.sorted : history.slice(start(count), count).sort((a, b) => a - b);
      if (cached) sortedOf.delete(history);
      if (Number.isFinite(m.total)) {
        // Appending in place is O(1): an older state still sees only its first `count` entries. A state
        // whose array already went further (an update whose result was kept elsewhere) is copied first,
        // so no state this rule returned ever changes.
        if ((issued.get(history) ?? 0) > count) history = history.slice(0, count);
        history.length = count;
        history.push(m.total);
        sorted.splice(upperBound(sorted, m.total), 0, m.total);
        count++;
        if (start(count) > start(count - 1)) sorted.splice(lowerBound(sorted, history[start(count) - 1]!), 1);
        // A bounded history is compacted now and then, so memory stays O(history).
        if (Number.isFinite(keep) && history.length >= 2 * keep) {
          history = history.slice(count - keep, count);
          count = history.length;
        }
      }
      sortedOf.set(history, { count, sorted });
      issued.set(history, Math.max(issued.get(history) ?? 0, count));
      const windowLength = count - start(count);
      const threshold = windowLength > 0 ? percentileOfSorted(sorted, p) : m.total;
      const { grads: out, report } = scaleAll(name, grads, m, clipFactor(m.total, threshold, 0), threshold, 2);
      return { grads: out, state: { history, count }, report: { ...report, details: { percentile: p, historyLength: windowLength } } };
    },
  };
}

/** State of zClip: warm-up norms, then the EMA mean and variance of the gradient norm. */
export interface ZClipState {
  [key: string]: number[] | number | boolean;
  warmupNorms: number[];
  initialized: boolean;
  mean: number;
  variance: number;
}

/**
 * ZClip (Kumar, Owen, Roy Chowdhury & Güra 2025, "ZClip: Adaptive spike
 * mitigation for LLM pre-training"), z-score mode with adaptive scaling.
 * For the first `warmup` steps the global norms are collected and not
 * clipped; then μ and σ² start as their mean and (population) variance. At
 * each later step, with n the global L2 norm:
 *   z = (n − μ) / (σ + eps);  if z > zThreshold:  τ = μ + zThreshold²·σ / z,  g ← g·τ/n
 *   μ ← α·μ + (1 − α)·n′;   σ² ← α·σ² + (1 − α)·(n′ − μ)²
 * where n′ = τ when clipped, else n (the statistics follow the clipped norm).
 * Defaults: alpha 0.97, zThreshold 2.5, warmup 25, eps 1e-6 (the paper's).
 */
export function zClip(options: { alpha?: number; zThreshold?: number; warmup?: number; eps?: number } = {}): GradientTransformation<ZClipState> {
  checkOptions('zClip', options, ['alpha', 'zThreshold', 'warmup', 'eps']);
  const alpha = optionalNumber('zClip', 'alpha', options.alpha, 0.97, { min: 0, max: 1, maxExclusive: true });
  const zThreshold = optionalNumber('zClip', 'zThreshold', options.zThreshold, 2.5, { min: 0, minExclusive: true });
  const warmup = optionalNumber('zClip', 'warmup', options.warmup, 25, { integer: true, min: 1 });
  const eps = optionalNumber('zClip', 'eps', options.eps, 1e-6, { min: 0 });
  const name = `zClip(alpha=${alpha}, z=${zThreshold}, warmup=${warmup})`;
  return {
    name,
    init: () => ({ warmupNorms: [], initialized: false, mean: 0, variance: 0 }),
    update(grads, state) {
      const m = measure('zClip', grads, 2);
      const n = m.total;
      if (!Number.isFinite(n)) {
        const { grads: out, report } = scaleAll(name, grads, m, 1, null, 2);
        return { grads: out, state, report };
      }
      if (!state.initialized) {
        const warmupNorms = [...state.warmupNorms, n];
        let next: ZClipState = { ...state, warmupNorms };
        if (warmupNorms.length >= warmup) {
          const mean = warmupNorms.reduce((a, b) => a + b, 0) / warmupNorms.length;
          const variance = warmupNorms.reduce((a, b) => a + (b - mean) ** 2, 0) / warmupNorms.length;
          next = { warmupNorms: [], initialized: true, mean, variance };
        }
        const { grads: out, report } = scaleAll(name, grads, m, 1, null, 2);
        return { grads: out, state: next, report: { ...report, details: { warmupRemaining: Math.max(0, warmup - warmupNorms.length) } } };
      }
      const std = Math.sqrt(state.variance);
      const z = (n - state.mean) / (std + eps);
      const threshold = z > zThreshold ? state.mean + (zThreshold * zThreshold * std) / z : null;
      const scale = threshold !== null ? clipFactor(n, threshold, 0) : 1;
      const used = threshold !== null ? Math.min(threshold, n) : n;
      const mean = alpha * state.mean + (1 - alpha) * used;
      const variance = alpha * state.variance + (1 - alpha) * (used - mean) ** 2;
      const { grads: out, report } = scaleAll(name, grads, m, scale, threshold, 2);
      return { grads: out, state: { warmupNorms: [], initialized: true, mean, variance }, report: { ...report, details: { zScore: z, mean: state.mean, std } } };
    },
  };
}
