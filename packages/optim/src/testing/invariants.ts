/**
 * `checkClipInvariants(makeRule)`: a property-based check of a gradient
 * transformation, for people writing their own clipping rule. It feeds the
 * rule random gradients — 1 to 4 tensors of random shapes, magnitudes from
 * 1e-7 to 1e4, some exactly zero, over several steps so that stateful rules
 * are exercised — and tests each invariant the rule claims separately with
 * fast-check, which shrinks any failure to a minimal counterexample.
 *
 *   finite          finite gradients in → finite gradients out
 *   reportMatches   report.normBefore/normAfter equal the actual L2 norms (L2 reports only)
 *   normBound       global L2 norm after ≤ report.threshold
 *   perTensorBound  every tensor's L2 norm after ≤ report.threshold
 *   direction       every tensor is scaled by a factor ≥ 0 (its direction kept)
 *   globalDirection one factor ≥ 0 for all tensors (the whole gradient's direction kept)
 *   identityBelow   a gradient whose global norm is ≤ report.threshold comes out unchanged
 *   stateIsJson     the state survives JSON.stringify/parse unchanged (it can be checkpointed)
 *
 * fast-check is an optional peer dependency: install it to use this module.
 */
import fc from 'fast-check';
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ValueError, checkOptions, describeValue, optionalNumber } from '@tapegrad/autograd';
import type { GradientTransformation } from '../transform.js';
import type { ClipReport } from '../report.js';

/** The invariants checkClipInvariants knows (see the module comment for each). */
export type ClipInvariant = 'finite' | 'reportMatches' | 'normBound' | 'perTensorBound' | 'direction' | 'globalDirection' | 'identityBelow' | 'stateIsJson';

/** What the invariants state, for the printed report. */
export const CLIP_INVARIANTS: Readonly<Record<ClipInvariant, string>> = {
  finite: 'finite gradients in → finite gradients out',
  reportMatches: "the report's normBefore/normAfter are the actual L2 norms",
  normBound: 'global L2 norm after ≤ threshold',
  perTensorBound: "each tensor's L2 norm after ≤ threshold",
  direction: "each tensor's direction is kept (scaled by a factor ≥ 0)",
  globalDirection: "the whole gradient's direction is kept (one factor ≥ 0)",
  identityBelow: 'a gradient with global norm ≤ threshold is left unchanged',
  stateIsJson: 'the state survives a JSON round trip',
};

/** One invariant's verdict. */
export interface InvariantOutcome {
  invariant: ClipInvariant;
  holds: boolean;
  /** The shrunk failing case, described (when it does not hold). */
  counterexample?: string;
  /** How many random cases were tried. */
  runs: number;
  /** False when no case could test it (the rule never reported a threshold, for the bounds): then it is not shown to hold. */
  tested: boolean;
}

/** Every verdict, and a printable summary (`String(report)`). */
export interface ClipInvariantReport {
  rule: string;
  outcomes: InvariantOutcome[];
  /** Whether the named invariant held in every case. */
  holds(invariant: ClipInvariant): boolean;
  toString(): string;
}

/** Options of checkClipInvariants. */
export interface CheckClipOptions {
  /** Which invariants to test (default: all). */
  invariants?: readonly ClipInvariant[];
  /** Random cases per invariant (default 100). */
  numRuns?: number;
  /** fast-check seed (default 42): the same seed replays the same cases. */
  seed?: number;
  /** Relative tolerance for the numeric comparisons (default 1e-9; the gradients are float64). */
  tolerance?: number;
}

/** A random step: gradients (with names), as plain arrays so counterexamples print readably. */
interface Step {
  grads: number[][];
}
interface Case {
  shapes: number[][];
  steps: Step[];
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 });
const valueArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  // sign · mantissa in [0.001, 1] · 10^e: magnitudes 1e-7 … 1e4, no subnormals (whose norms underflow in any float64 library).
  { weight: 6, arbitrary: fc.tuple(fc.boolean(), fc.double({ min: 0.001, max: 1, noNaN: true }), fc.integer({ min: -4, max: 4 })).map(([neg, m, e]) => (neg ? -1 : 1) * m * 10 ** e) },
);
const caseArb: fc.Arbitrary<Case> = fc.array(shapeArb, { minLength: 1, maxLength: 4 }).chain((shapes) =>
  fc.record({
    shapes: fc.constant(shapes),
    steps: fc.array(fc.record({ grads: fc.tuple(...shapes.map((s) => fc.array(valueArb, { minLength: s.reduce((p, d) => p * d, 1), maxLength: s.reduce((p, d) => p * d, 1) }))).map((g) => g as number[][]) }), { minLength: 1, maxLength: 4 }),
  }),
);

/** L2 norm, rescaled by the largest magnitude so that neither tiny (subnormal) nor huge entries lose it. */
function norm2(xs: readonly (readonly number[])[]): number {
  let m = 0;
  for (const x of xs) for (const v of x) m = Math.max(m, Math.abs(v));
  if (m === 0 || !Number.isFinite(m)) return m;
  let sq = 0;
  for (const x of xs) for (const v of x) sq += (v / m) * (v / m);
  return m * Math.sqrt(sq);
}
const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));

/** The factor s ≥ 0 with after = s·before (to relative tolerance tol in norm), or null when there is none. */
function factorOf(before: readonly number[], after: readonly number[], tol: number): number | null {
  const nb = norm2([before]);
  if (nb === 0) return after.every((v) => v === 0) ? 0 : null;
  const na = norm2([after]);
  const s = na / nb;
  const residual = norm2([after.map((v, i) => v - s * before[i]!)]);
  // Rounding in s·before is relative to each entry, so the residual is judged against the larger norm; a subnormal entry is exact only to its own spacing.
  return residual <= tol * Math.max(na, s * nb) + Number.MIN_VALUE * after.length ? s : null;
}

function fmt(xs: readonly number[]): string {
  return `[${xs.map((v) => String(v)).join(', ')}]`;
}

/** Runs the rule over a case; returns the first violation of `inv`, described, or null. */
function violation(makeRule: () => GradientTransformation, c: Case, inv: ClipInvariant, tol: number, seen: { applicable: number } = { applicable: 0 }): string | null {
  const rule = makeRule();
  const params = c.shapes.map((s) => T.ones(s, { dtype: 'float64' }));
  const names = c.shapes.map((_, i) => `param${i}`);
  let state = rule.init(params);
  for (let k = 0; k < c.steps.length; k++) {
    const before = c.steps[k]!.grads;
    const grads = before.map((g, i) => T.tensor(Float64Array.from(g), { shape: c.shapes[i]! }));
    let r: ReturnType<typeof rule.update>;
    try {
      r = rule.update(grads, state, params, names);
    } catch (e) {
      return `step ${k + 1}: gradients ${before.map(fmt).join(' ')}: update threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
    state = r.state;
    const after = r.grads.map((g: Tensor | null, i) => (g ? Array.from(g.data) : before[i]!));
    const report: ClipReport = r.report;
    const where = `step ${k + 1}: gradients ${before.map(fmt).join(' ')} → ${after.map(fmt).join(' ')}`;
    const thr = report.threshold;
    const needsThreshold = inv === 'normBound' || inv === 'perTensorBound' || inv === 'identityBelow';
    if (!(needsThreshold && thr === null) && !(inv === 'reportMatches' && report.normType !== 2)) seen.applicable++;
    switch (inv) {
      case 'finite':
        if (after.some((g) => g.some((v) => !Number.isFinite(v)))) return `${where} (non-finite output)`;
        break;
      case 'reportMatches':
        if (report.normType !== 2) break;
        if (!close(report.normBefore, norm2(before), tol)) return `${where}: report.normBefore ${report.normBefore} but the norm is ${norm2(before)}`;
        if (!close(report.normAfter, norm2(after), tol)) return `${where}: report.normAfter ${report.normAfter} but the norm is ${norm2(after)}`;
        break;
      case 'normBound':
        if (thr !== null && norm2(after) > thr * (1 + tol)) return `${where}: norm after ${norm2(after)} > threshold ${thr}`;
        break;
      case 'perTensorBound':
        if (thr !== null) for (const [i, g] of after.entries()) if (norm2([g]) > thr * (1 + tol)) return `${where}: tensor ${i} has norm ${norm2([g])} > threshold ${thr}`;
        break;
      case 'direction':
        for (const [i, g] of after.entries()) if (factorOf(before[i]!, g, tol) === null) return `${where}: tensor ${i} is not a non-negative multiple of its input`;
        break;
      case 'globalDirection': {
        const flatB = before.flat(), flatA = after.flat();
        if (factorOf(flatB, flatA, tol) === null) return `${where}: not one non-negative factor for the whole gradient`;
        break;
      }
      case 'identityBelow':
        if (thr !== null && norm2(before) <= thr && after.some((g, i) => g.some((v, j) => !close(v, before[i]![j]!, tol)))) return `${where}: global norm ${norm2(before)} ≤ threshold ${thr}, yet changed`;
        break;
      case 'stateIsJson': {
        const text = JSON.stringify(state);
        if (text === undefined || JSON.stringify(JSON.parse(text)) !== text || !deepEqual(JSON.parse(text), state)) return `step ${k + 1}: state ${describeValue(state)} does not survive JSON`;
        break;
      }
    }
  }
  return null;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Tests a clipping rule's invariants on random gradients (fast-check, with
 * shrinking). `makeRule` builds a fresh rule per case (so state never leaks
 * between cases). Returns a verdict per invariant; print it with String().
 */
export function checkClipInvariants(makeRule: () => GradientTransformation, options: CheckClipOptions = {}): ClipInvariantReport {
  if (typeof makeRule !== 'function') throw new ValueError('checkClipInvariants', `makeRule must be a function returning a fresh transformation, got ${describeValue(makeRule)}`);
  checkOptions('checkClipInvariants', options, ['invariants', 'numRuns', 'seed', 'tolerance']);
  const numRuns = optionalNumber('checkClipInvariants', 'numRuns', options.numRuns, 100, { integer: true, min: 1 });
  const seed = optionalNumber('checkClipInvariants', 'seed', options.seed, 42, { integer: true });
  const tol = optionalNumber('checkClipInvariants', 'tolerance', options.tolerance, 1e-9, { min: 0 });
  const invariants = options.invariants ?? (Object.keys(CLIP_INVARIANTS) as ClipInvariant[]);
  for (const inv of invariants) if (!(inv in CLIP_INVARIANTS)) throw new ValueError('checkClipInvariants', `unknown invariant ${describeValue(inv)}; known: ${Object.keys(CLIP_INVARIANTS).join(', ')}`);
  const probe = makeRule();
  if (!probe || typeof probe.update !== 'function' || typeof probe.init !== 'function') throw new ValueError('checkClipInvariants', `makeRule() must return a gradient transformation (name, init, update), got ${describeValue(probe)}`);
  const outcomes = invariants.map((inv): InvariantOutcome => {
    let found: string | null = null;
    const seen = { applicable: 0 };
    const details = fc.check(
      fc.property(caseArb, (c) => {
        found = violation(makeRule, c, inv, tol, seen);
        return found === null;
      }),
      { numRuns, seed },
    );
    if (!details.failed) return { invariant: inv, holds: true, runs: details.numRuns, tested: seen.applicable > 0 };
    // Re-run the shrunk case so the description is the minimal one's.
    const minimal = details.counterexample ? violation(makeRule, details.counterexample[0], inv, tol) : null;
    return { invariant: inv, holds: false, runs: details.numRuns, tested: true, counterexample: minimal ?? found ?? "the property failed without a recorded case" };
  });
  return {
    rule: probe.name,
    outcomes,
    holds: (inv) => outcomes.some((o) => o.invariant === inv && o.holds && o.tested),
    toString: () =>
      [
        `invariants of ${probe.name}:`,
        ...outcomes.map((o) => {
          const head = `${o.invariant.padEnd(15)} ${CLIP_INVARIANTS[o.invariant]}`;
          if (!o.tested) return `  – ${head} (not tested: the rule reported no ${o.invariant === 'reportMatches' ? 'L2 norms' : 'threshold'})`;
          return o.holds ? `  ✓ ${head} (${o.runs} cases)` : `  ✗ ${head}\n      counterexample: ${o.counterexample}`;
        }),
      ].join('\n'),
  };
}
