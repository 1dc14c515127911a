/** Clipping thresholds learned from the history of gradient norms. */
import { ValueError } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import { assertNonNegative } from '../norms.js';
import { clipFactor, measure, scaleAll } from './measure.js';

/** State of autoClip: the gradient norms seen so far (newest last). */
export interface AutoClipState {
  [key: string]: number[];
  history: number[];
}

/** The p-th percentile (0..100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/**
 * AutoClip (Seetharaman, Wichern, Pardo & Le Roux 2020, "AutoClip: Adaptive
 * gradient clipping for source separation networks"): append the current
 * global L2 norm to the history, then clip the global norm to the
 * `percentile`-th percentile of the history (default 10):
 *   hₜ = [n₁ … nₜ],  τ = percentile(hₜ, p),  g ← g · min(1, τ / nₜ)
 * `history` bounds how many recent norms are kept (default: all, as in the paper).
 * Non-finite norms are not added to the history.
 */
export function autoClip(options: { percentile?: number; history?: number } = {}): GradientTransformation<AutoClipState> {
  const p = options.percentile ?? 10;
  if (!(p >= 0 && p <= 100)) throw new ValueError('autoClip', `percentile must be in [0, 100], got ${p}`);
  const keep = options.history ?? Infinity;
  if (!(keep >= 1)) throw new ValueError('autoClip', `history must be at least 1, got ${keep}`);
  const name = `autoClip(p=${p}${Number.isFinite(keep) ? `, history=${keep}` : ''})`;
  return {
    name,
    init: () => ({ history: [] }),
    update(grads, state) {
      const m = measure('autoClip', grads, 2);
      const history = Number.isFinite(m.total) ? [...state.history, m.total] : [...state.history];
      while (history.length > keep) history.shift();
      const threshold = history.length > 0 ? percentile(history, p) : m.total;
      const { grads: out, report } = scaleAll(name, grads, m, clipFactor(m.total, threshold, 0), threshold, 2);
      return { grads: out, state: { history }, report: { ...report, details: { percentile: p, historyLength: history.length } } };
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
  const alpha = options.alpha ?? 0.97;
  const zThreshold = options.zThreshold ?? 2.5;
  const warmup = options.warmup ?? 25;
  const eps = assertNonNegative('zClip', 'eps', options.eps ?? 1e-6);
  if (!(alpha >= 0 && alpha < 1)) throw new ValueError('zClip', `alpha must be in [0, 1), got ${alpha}`);
  if (!(zThreshold > 0)) throw new ValueError('zClip', `zThreshold must be positive, got ${zThreshold}`);
  if (!Number.isInteger(warmup) || warmup < 1) throw new ValueError('zClip', `warmup must be a positive integer, got ${warmup}`);
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
