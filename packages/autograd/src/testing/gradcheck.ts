/**
 * gradcheck: compares the tape's gradient with float64 central differences.
 *
 * For a function f of tensors and a fixed random upstream u (seeded), it
 * checks the vector–Jacobian product ∂(Σ f(x)·u)/∂x element by element:
 *   numeric_i = [L(x + εe_i) − L(x − εe_i)] / 2ε,   L(x) = Σ f(x)·u
 * and passes when |analytic − numeric| ≤ atol + rtol·|numeric| for every
 * element of every input that requires grad.
 */
import { formatShape } from '../backend/index.js';
import { TapegradError } from '../errors.js';
import { gradients } from '../functional.js';
import { randn } from '../creation.js';
import { Generator } from '../random.js';
import { enableGrad, noGrad } from '../tape.js';
import { Tensor } from '../tensor.js';
import { ValueError } from '../errors.js';
import { checkOptions, describeValue, optionalBoolean, optionalNumber, requireFunction } from '../validate.js';

/** Tolerances and step of gradcheck. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random upstream gradient (default 0). */
  seed?: number;
  /** Throw a GradcheckError on failure (default true); otherwise return the result. */
  raiseException?: boolean;
}

/** What gradcheck found (returned when raiseException is false, or on success). */
export interface GradcheckResult {
  passed: boolean;
  /** Largest |analytic − numeric| seen. */
  maxAbsError: number;
  /** The first failure, described. */
  message?: string;
}

/** Raised by gradcheck; names the input, the element and both values. */
export class GradcheckError extends TapegradError {
  override name = 'GradcheckError';
}

/** The function gradcheck/gradgradcheck differentiate: tensors in, a tensor or a list of tensors out. */
export type GradcheckFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function weightedSum(outs: readonly Tensor[], ups: readonly Tensor[]): number {
  let s = 0;
  outs.forEach((o, k) => {
    const u = ups[k]!.data;
    for (let i = 0; i < o.size; i++) s += o.data[i]! * u[i]!;
  });
  return s;
}

/** Checks the gradients of `fn` at `inputs` (float64, requiresGrad) against central differences. */
export function gradcheck(fn: GradcheckFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  requireFunction('gradcheck', 'fn', fn);
  if (!Array.isArray(inputs) || inputs.some((t) => !(t instanceof Tensor))) throw new ValueError('gradcheck', `inputs must be a list of tensors, got ${describeValue(inputs)}`);
  checkOptions('gradcheck', options, ['eps', 'atol', 'rtol', 'seed', 'raiseException']);
  const eps = optionalNumber('gradcheck', 'eps', options.eps, 1e-6, { min: 0, minExclusive: true });
  const atol = optionalNumber('gradcheck', 'atol', options.atol, 1e-5, { min: 0 });
  const rtol = optionalNumber('gradcheck', 'rtol', options.rtol, 1e-3, { min: 0 });
  const seed = optionalNumber('gradcheck', 'seed', options.seed, 0, { integer: true });
  const raise = optionalBoolean('gradcheck', 'raiseException', options.raiseException, true);
  inputs.forEach((t, i) => {
    if (t.requiresGrad && t.dtype !== 'float64') throw new GradcheckError('gradcheck', `input ${i} is ${t.dtype}; gradcheck needs float64 inputs for accurate differences`);
  });
  const checked = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (checked.length === 0) throw new GradcheckError('gradcheck', 'no input requires grad');
  // Fresh leaves with their own storage: perturbing one input must not move another that shares its data.
  const leaves = inputs.map((t) => (t.requiresGrad ? new Tensor(t.data.slice(), t.shape, true) : t));
  const asList = (r: Tensor | readonly Tensor[]) => {
    const list = r instanceof Tensor ? [r] : Array.isArray(r) ? [...r] : null;
    if (!list || list.some((o) => !(o instanceof Tensor) || o.dtype === 'int32')) throw new ValueError('gradcheck', `fn must return a float tensor or a list of float tensors, got ${describeValue(r)}`);
    return list;
  };
  const outs = asList(fn(...leaves));
  const gen = new Generator(seed);
  const ups = outs.map((o) => randn(o.shape, { dtype: 'float64', generator: gen }));
  const used = outs.filter((o) => o.requiresGrad);
  const analytic = used.length === 0 ? checked.map((i) => new Tensor(new Float64Array(inputs[i]!.size), inputs[i]!.shape)) : gradients(used, checked.map((i) => leaves[i]!), { gradOutputs: outs.map((o, k) => (o.requiresGrad ? ups[k]! : null)).filter((u): u is Tensor => u !== null), allowUnused: true, materializeGrads: true });
  let maxAbsError = 0;
  let message: string | undefined;
  noGrad(() => {
    checked.forEach((inputIndex, k) => {
      const x = leaves[inputIndex]!;
      const a = analytic[k]!.data;
      for (let e = 0; e < x.size; e++) {
        const orig = x.data[e]!;
        x.data[e] = orig + eps;
        const plus = weightedSum(asList(fn(...leaves)), ups);
        x.data[e] = orig - eps;
        const minus = weightedSum(asList(fn(...leaves)), ups);
        x.data[e] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(a[e]! - numeric);
        maxAbsError = Math.max(maxAbsError, err);
        if (!(err <= atol + rtol * Math.abs(numeric)) && message === undefined) {
          message = `gradient mismatch for input ${inputIndex} (shape ${formatShape(x.shape)}) at flat index ${e}: analytic ${a[e]} vs numeric ${numeric} (|diff| ${err.toExponential(3)} > atol ${atol} + rtol ${rtol}·|numeric|)`;
        }
      }
    });
  });
  const result: GradcheckResult = { passed: message === undefined, maxAbsError, ...(message ? { message } : {}) };
  if (!result.passed && raise) throw new GradcheckError('gradcheck', message!);
  return result;
}

/**
 * gradgradcheck: checks second derivatives (torch.autograd.gradgradcheck).
 * With a fixed random upstream u (seeded), the first-order map
 *   G(x) = ∂Σ(f(x)·u)/∂x,   taken with createGraph
 * is itself checked by gradcheck: its recorded gradient — a second
 * derivative of f — against central differences of G. Inputs float64. A
 * failure names the input and element, as gradcheck does.
 */
export function gradgradcheck(fn: GradcheckFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  requireFunction('gradgradcheck', 'fn', fn);
  if (!Array.isArray(inputs) || inputs.some((t) => !(t instanceof Tensor))) throw new ValueError('gradgradcheck', `inputs must be a list of tensors, got ${describeValue(inputs)}`);
  checkOptions('gradgradcheck', options, ['eps', 'atol', 'rtol', 'seed', 'raiseException']);
  const seed = optionalNumber('gradgradcheck', 'seed', options.seed, 0, { integer: true });
  const atol = optionalNumber('gradgradcheck', 'atol', options.atol, 1e-5, { min: 0 });
  const rtol = optionalNumber('gradgradcheck', 'rtol', options.rtol, 1e-3, { min: 0 });
  const raise = optionalBoolean('gradgradcheck', 'raiseException', options.raiseException, true);
  const checked = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (checked.length === 0) throw new GradcheckError('gradgradcheck', 'no input requires grad');
  const fresh = () => inputs.map((t) => (t.requiresGrad ? new Tensor(t.data.slice(), t.shape, true) : t));
  // One upstream per output for every evaluation, so G is a fixed function of x.
  const gen = new Generator(seed + 1);
  const ups = asTensorList('gradgradcheck', noGrad(() => fn(...fresh()))).map((o) => randn(o.shape, { dtype: 'float64', generator: gen }));
  const firstGrads = (xs: readonly Tensor[], createGraph: boolean): Tensor[] =>
    enableGrad(() => {
      const used = asTensorList('gradgradcheck', fn(...xs)).map((o, k) => [o, ups[k]!] as const).filter(([o]) => o.requiresGrad);
      if (used.length === 0) return checked.map((i) => new Tensor(new Float64Array(xs[i]!.size), xs[i]!.shape));
      return gradients(used.map(([o]) => o), checked.map((i) => xs[i]!), { gradOutputs: used.map(([, u]) => u), createGraph, allowUnused: true, materializeGrads: true });
    });
  const mismatch = firstOrderMismatch(firstGrads(fresh(), true), firstGrads(fresh(), false), checked, atol, rtol);
  const result = gradcheck((...xs: Tensor[]) => firstGrads(xs, true), inputs, { ...options, raiseException: false });
  const message = mismatch ?? (result.message && `second derivative: ${result.message}`);
  const final: GradcheckResult = { passed: result.passed && !mismatch, maxAbsError: result.maxAbsError, ...(message ? { message } : {}) };
  if (!final.passed && raise) throw new GradcheckError('gradgradcheck', message!);
  return final;
}

/**
 * The recorded first derivative must equal the one backward() computes: a
 * recorded backward with wrong values would otherwise pass, since gradcheck
 * of G only checks G against itself. Returns the first difference, described.
 */
function firstOrderMismatch(recorded: readonly Tensor[], fast: readonly Tensor[], checked: readonly number[], atol: number, rtol: number): string | undefined {
  for (let k = 0; k < checked.length; k++) {
    const a = recorded[k]!.data, b = fast[k]!.data;
    for (let e = 0; e < a.length; e++) {
      if (!(Math.abs(a[e]! - b[e]!) <= atol + rtol * Math.abs(b[e]!))) return `recorded first derivative of input ${checked[k]} (createGraph) at flat index ${e} is ${a[e]}, which differs from backward()'s ${b[e]}`;
    }
  }
  return undefined;
}

function asTensorList(fn: string, r: Tensor | readonly Tensor[]): Tensor[] {
  const list = r instanceof Tensor ? [r] : Array.isArray(r) ? [...r] : null;
  if (!list || list.some((o) => !(o instanceof Tensor) || o.dtype === 'int32')) throw new ValueError(fn, `fn must return a float tensor or a list of float tensors, got ${describeValue(r)}`);
  return list;
}
