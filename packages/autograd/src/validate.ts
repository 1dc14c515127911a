/**
 * Argument validation shared by the three packages. Every public function
 * checks its options object and its numbers here, so that a misspelt key
 * (`{dims: 1}`, Keras's `clipnorm`), a `null`, a NaN or an out-of-range value
 * is a named error that says which function, which argument and what was
 * expected — never a silently ignored option or a NaN further down.
 */
import { TapegradError, ValueError } from './errors.js';

/** An option key the function does not know (a typo, or another library's spelling). */
export class OptionError extends ValueError {
  override name = 'OptionError';
}

/**
 * Spellings users bring from PyTorch, Keras and NumPy, with what to write
 * instead. The hint is added to the unknown-option error.
 */
const HINTS: Readonly<Record<string, string>> = {
  clipnorm: "Keras's per-variable clipnorm is `clip: clipByNorm(v)`",
  global_clipnorm: "Keras's global_clipnorm is `clip: clipByGlobalNorm(v)`",
  globalClipnorm: "Keras's global_clipnorm is `clip: clipByGlobalNorm(v)`",
  max_norm: 'clip_grad_norm_(max_norm) is `clip: clipByGlobalNorm(maxNorm)`',
  maxNorm: 'a global-norm clip is `clip: clipByGlobalNorm(maxNorm)`',
  clipvalue: "Keras's clipvalue is `clip: clipByValue(v)`",
  clip_value: 'clip_grad_value_ is `clip: clipByValue(v)`',
  clipValue: 'value clipping is `clip: clipByValue(v)`',
  weight_decay: "did you mean `weightDecay` (PyTorch's L2 term in the gradient) or `decoupledWeightDecay` (Keras 3's weight_decay: θ ← θ − lr·λ·θ)?",
  rho: "Keras's RMSprop rho is `alpha`",
  unit_forget_bias: "Keras's LSTM initialisation (forget-gate bias 1) is `init: 'keras'`",
  kernel_initializer: "Keras's recurrent-layer initialisation is `init: 'keras'`",
  learning_rate: 'did you mean `lr`?',
  learningRate: 'did you mean `lr`?',
  epsilon: 'did you mean `eps`?',
  beta_1: 'did you mean `betas: [beta1, beta2]`?',
  beta_2: 'did you mean `betas: [beta1, beta2]`?',
  beta1: 'did you mean `betas: [beta1, beta2]`?',
  beta2: 'did you mean `betas: [beta1, beta2]`?',
  dims: 'did you mean `dim` (a number or a list)?',
  axis: 'did you mean `dim`?',
  keepdims: 'did you mean `keepdim`?',
  keep_dim: 'did you mean `keepdim`?',
  keepDim: 'did you mean `keepdim`?',
  requires_grad: 'did you mean `requiresGrad`?',
  retain_graph: 'did you mean `retainGraph`?',
  create_graph: 'did you mean `createGraph`?',
  allow_unused: 'did you mean `allowUnused`?',
  batch_first: 'did you mean `batchFirst`?',
  num_layers: 'did you mean `numLayers`?',
  set_to_none: 'did you mean `setToNone`?',
  norm_type: 'did you mean `normType`?',
  error_if_nonfinite: 'did you mean `errorIfNonfinite`?',
  label_smoothing: 'did you mean `labelSmoothing`?',
  ignore_index: 'did you mean `ignoreIndex`?',
  pos_weight: 'did you mean `posWeight`?',
  step_size: 'did you mean `stepSize`?',
  T_max: 'did you mean `tMax`?',
  eta_min: 'did you mean `etaMin`?',
};

/** How a value reads in an error message. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return (v as object).constructor?.name ? `a ${(v as object).constructor.name}` : 'an object';
  return typeof v;
}

/**
 * Checks that `options` is undefined or a plain object whose own keys are
 * all in `known`; an unknown key raises an OptionError naming it, listing the
 * known ones, and hinting at the right spelling for PyTorch/Keras names.
 * `"__proto__"` is an unknown key like any other.
 */
export function checkOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(fn, `options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.getOwnPropertyNames(options)) {
    if (known.includes(key)) continue;
    const hint = Object.prototype.hasOwnProperty.call(HINTS, key) ? ` (${HINTS[key]})` : '';
    throw new OptionError(fn, `unknown option '${key}'${hint}; known options: ${known.length > 0 ? known.join(', ') : 'none'}`);
  }
}

/** Range constraints for requireNumber. */
export interface NumberRule {
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
  /** Allow ±Infinity (NaN never). Default false. */
  infinite?: boolean;
}

function rangeText(rule: NumberRule): string {
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`${rule.minExclusive ? '>' : '≥'} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`${rule.maxExclusive ? '<' : '≤'} ${rule.max}`);
  return `${rule.integer ? 'an integer' : rule.infinite ? 'a number' : 'a finite number'}${parts.length ? ` ${parts.join(' and ')}` : ''}`;
}

/**
 * Returns `v` when it is a number satisfying `rule`, else throws a ValueError
 * naming `fn` and `name` (`null`, `undefined`, strings, NaN and out-of-range
 * values all fail).
 */
export function requireNumber(fn: string, name: string, v: unknown, rule: NumberRule = {}): number {
  const ok =
    typeof v === 'number' &&
    !Number.isNaN(v) &&
    (rule.infinite || Number.isFinite(v)) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || (rule.minExclusive ? v > rule.min : v >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? v < rule.max : v <= rule.max));
  if (!ok) throw new ValueError(fn, `${name} must be ${rangeText(rule)}, got ${describeValue(v)}`);
  return v as number;
}

/** `requireNumber` for an optional value: `undefined` gives `fallback` (null is still an error). */
export function optionalNumber(fn: string, name: string, v: unknown, fallback: number, rule: NumberRule = {}): number {
  return v === undefined ? fallback : requireNumber(fn, name, v, rule);
}

/** Returns `v` if it is a boolean (`undefined` gives `fallback`), else throws a ValueError. */
export function optionalBoolean(fn: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ValueError(fn, `${name} must be true or false, got ${describeValue(v)}`);
  return v;
}

/** Returns `v` if it is one of `allowed` (`undefined` gives `fallback`), else throws a ValueError listing them. */
export function optionalChoice<T extends string | number>(fn: string, name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw new ValueError(fn, `${name} must be one of ${allowed.map((a) => describeValue(a)).join(', ')}, got ${describeValue(v)}`);
  return v as T;
}

/** Throws a TapegradError-derived error unless `v` is a function. */
export function requireFunction(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'function') throw new ValueError(fn, `${name} must be a function, got ${describeValue(v)}`);
}

/** True for errors raised by tapegrad itself (the fuzz tests' notion of a proper failure). */
export function isTapegradError(e: unknown): e is TapegradError {
  return e instanceof TapegradError;
}
