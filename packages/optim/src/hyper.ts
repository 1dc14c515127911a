/**
 * Hyper-parameter schemas: each optimizer declares the type and range of
 * every hyper-parameter once, and the base class validates constructor
 * options, parameter groups, schedulers' writes and loaded state dicts
 * against it. `{ lr: null }`, `{ lr: NaN }`, `{ betas: [0.9] }` and unknown
 * keys (`clipnorm`, `weight_decay`) are named errors, never silent defaults.
 */
import { ValueError, checkOptions, describeValue, requireNumber } from '@tapegrad/autograd';
import type { NumberRule } from '@tapegrad/autograd';

/** The rule for one hyper-parameter. */
export type HyperRule = ({ type: 'number' } & NumberRule) | { type: 'boolean' } | { type: 'betas' } | { type: 'choice'; values: readonly string[] };

/** One rule per hyper-parameter of H. */
export type HyperSpec<H> = { readonly [K in keyof H]: HyperRule };

/** The options every optimizer shares (not hyper-parameters): see OptimizerOptions. */
export const SHARED_OPTION_KEYS = ['clip', 'nonFinite', 'maxConsecutiveSkips', 'trackNorms', 'decoupledWeightDecay', 'shadow'] as const;

/** Checks one value against its rule; returns it. */
export function checkHyperValue(fn: string, name: string, value: unknown, rule: HyperRule): unknown {
  switch (rule.type) {
    case 'number':
      return requireNumber(fn, name, value, rule);
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValueError(fn, `${name} must be true or false, got ${describeValue(value)}`);
      return value;
    case 'choice':
      if (typeof value !== 'string' || !rule.values.includes(value)) throw new ValueError(fn, `${name} must be one of ${rule.values.map((v) => `'${v}'`).join(', ')}, got ${describeValue(value)}`);
      return value;
    case 'betas': {
      if (!Array.isArray(value) || value.length !== 2) throw new ValueError(fn, `${name} must be a pair [beta1, beta2], got ${describeValue(value)}`);
      value.forEach((b, i) => requireNumber(fn, `${name}[${i}]`, b, { min: 0, max: 1, maxExclusive: true }));
      return value;
    }
  }
}

/** Validates every hyper-parameter of `hyper` against `spec` (missing, extra or ill-typed keys are errors). */
export function checkHyper<H>(fn: string, hyper: H, spec: HyperSpec<H>): void {
  const keys = Object.keys(spec);
  checkOptions(fn, hyper, keys);
  for (const key of keys) {
    const value = (hyper as Record<string, unknown>)[key];
    if (value === undefined) throw new ValueError(fn, `${key} is missing`);
    checkHyperValue(fn, key, value, spec[key as keyof H]);
  }
}

/**
 * Splits constructor options into hyper-parameters and the shared options,
 * after rejecting any key that is neither (with a hint for Keras/PyTorch
 * spellings such as `clipnorm` or `weight_decay`).
 */
export function splitOptions<H>(fn: string, options: unknown, spec: HyperSpec<H>): [Partial<H>, Record<string, unknown>] {
  if (options === undefined) return [{}, {}];
  checkOptions(fn, options, [...Object.keys(spec), ...SHARED_OPTION_KEYS]);
  const hyper: Record<string, unknown> = {};
  const shared: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options as object)) {
    if (v === undefined) continue;
    if ((SHARED_OPTION_KEYS as readonly string[]).includes(k)) shared[k] = v;
    else hyper[k] = v;
  }
  return [hyper as Partial<H>, shared];
}
