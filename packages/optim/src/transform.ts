/**
 * Gradient transformations (after optax's GradientTransformation): a pair of
 * functions with explicit state,
 *   init(params)                  → state
 *   update(grads, state, params, names)  → { grads, state, report }
 * `grads[i]` is the gradient of `params[i]` (null when it has none). The
 * state is plain JSON so that it can be saved with the optimizer. Built-in
 * transformations scale the gradient arrays they are given in place and
 * return the same tensors (like torch's clip_grad_norm_), so a clip costs no
 * allocation; a custom one may return new tensors instead.
 */
import type { Tensor } from '@tapegrad/autograd';
import { ValueError, describeValue } from '@tapegrad/autograd';
import type { Json } from './json.js';
import type { ClipReport, TensorClipReport } from './report.js';

/** What update() returns: the new gradients, the new state, the report. */
export interface TransformResult<S extends Json = Json> {
  grads: (Tensor | null)[];
  state: S;
  report: ClipReport;
}

/** A gradient transformation: init and update with explicit, JSON-serializable state. */
export interface GradientTransformation<S extends Json = Json> {
  /** Human-readable description with its parameters, used in reports. */
  readonly name: string;
  init(params: readonly Tensor[]): S;
  /**
   * `names[i]` names `params[i]` (module.namedParameters() names when the
   * optimizer was given them, positions "0", "1", … otherwise) so that a rule
   * can treat parameters by name (AGC's `exclude`).
   */
  update(grads: readonly (Tensor | null)[], state: S, params: readonly Tensor[], names?: readonly string[]): TransformResult<S>;
}

/** The identity transformation: returns gradients untouched. */
export function identity(): GradientTransformation<null> {
  return {
    name: 'identity',
    init: () => null,
    update: (grads) => ({ grads: [...grads], state: null, report: passThroughReport('identity', grads) }),
  };
}

/** A report for a transformation that changed nothing (norms computed by the caller if wanted). */
export function passThroughReport(name: string, grads: readonly (Tensor | null)[], norms?: readonly number[]): ClipReport {
  if (typeof name !== 'string') throw new ValueError('passThroughReport', `name must be a string, got ${describeValue(name)}`);
  if (!Array.isArray(grads)) throw new ValueError('passThroughReport', `grads must be a list of tensors (or nulls), got ${describeValue(grads)}`);
  if (norms !== undefined && (!Array.isArray(norms) || norms.length !== grads.length || norms.some((n) => typeof n !== 'number'))) throw new ValueError('passThroughReport', `norms must be one number per gradient (${grads.length}), got ${describeValue(norms)}`);
  const tensors: TensorClipReport[] = [];
  let sq = 0;
  grads.forEach((g, i) => {
    if (!g) return;
    const n = norms?.[i] ?? NaN;
    sq += n * n;
    tensors.push({ index: i, normBefore: n, normAfter: n, scale: 1, clipped: false });
  });
  const total = norms ? Math.sqrt(sq) : NaN;
  return { name, normType: 2, normBefore: total, normAfter: total, scale: 1, clipped: false, threshold: null, tensors };
}

/**
 * Composes transformations left to right: the output gradients of one are the
 * input of the next (optax.chain). The report keeps each part under `steps`;
 * its norms are the first part's "before" and the last part's "after".
 */
export function chain(...parts: GradientTransformation[]): GradientTransformation<Json[]> {
  parts.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.init !== 'function' || typeof p.update !== 'function' || typeof p.name !== 'string') throw new ValueError('chain', `part ${i} must be a gradient transformation (name, init, update), got ${describeValue(p)}`);
  });
  return {
    name: `chain(${parts.map((p) => p.name).join(', ')})`,
    init: (params) => parts.map((p) => p.init(params)),
    update(grads, state, params, names) {
      let current = [...grads];
      const newState: Json[] = [];
      const steps: ClipReport[] = [];
      parts.forEach((p, i) => {
        const r = p.update(current, state[i] ?? p.init(params), params, names);
        current = r.grads;
        newState.push(r.state);
        steps.push(r.report);
      });
      return { grads: current, state: newState, report: combineReports(this.name, steps) };
    },
  };
}

function combineReports(name: string, steps: ClipReport[]): ClipReport {
  if (steps.length === 0) return { name, normType: 2, normBefore: NaN, normAfter: NaN, scale: 1, clipped: false, threshold: null, tensors: [], steps };
  const first = steps[0]!, last = steps[steps.length - 1]!;
  const scales = steps.map((s) => s.scale);
  const tensors = first.tensors.map((t) => {
    const after = last.tensors.find((u) => u.index === t.index);
    const perStep = steps.map((s) => s.tensors.find((u) => u.index === t.index));
    return {
      index: t.index,
      normBefore: t.normBefore,
      normAfter: after?.normAfter ?? t.normAfter,
      scale: perStep.reduce((p, u) => p * (u?.scale ?? NaN), 1),
      clipped: perStep.some((u) => u?.clipped),
    };
  });
  return {
    name,
    normType: first.normType,
    normBefore: first.normBefore,
    normAfter: last.normAfter,
    scale: scales.every((s) => s !== null) ? scales.reduce((p, s) => p! * s!, 1) : null,
    clipped: steps.some((s) => s.clipped),
    threshold: last.threshold,
    tensors,
    steps,
  };
}

/**
 * Runs a transformation once on the gradients of `params` (in their `.grad`)
 * and writes the results back: the standalone use of any transformation.
 * `params` may be tensors or `[name, tensor]` pairs (module.namedParameters()),
 * whose names reach the rule. Returns the new state and the report.
 */
export function applyTransform<S extends Json>(t: GradientTransformation<S>, params: Iterable<Tensor> | Iterable<readonly [string, Tensor]>, state?: S): { state: S; report: ClipReport } {
  const { tensors, names } = splitNamed(params);
  const s = state ?? t.init(tensors);
  const r = t.update(tensors.map((p) => p.grad), s, tensors, names);
  tensors.forEach((p, i) => {
    const g = r.grads[i];
    if (g !== undefined && g !== p.grad) p.grad = g;
  });
  return { state: r.state, report: r.report };
}

/** Tensors and their names from a list of tensors or [name, tensor] pairs (positions as names when none are given). */
export function splitNamed(params: Iterable<Tensor> | Iterable<readonly [string, Tensor]>): { tensors: Tensor[]; names: string[] } {
  const tensors: Tensor[] = [];
  const names: string[] = [];
  for (const item of params as Iterable<unknown>) {
    if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') {
      names.push(item[0]);
      tensors.push(item[1] as Tensor);
    } else {
      names.push(String(tensors.length));
      tensors.push(item as Tensor);
    }
  }
  return { tensors, names };
}
