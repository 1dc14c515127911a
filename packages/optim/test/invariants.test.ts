/**
 * checkClipInvariants, the harness users run on their own clipping rules:
 * the built-in rules pass the invariants they document, the ones they do not
 * claim are refuted with a shrunk (minimal) counterexample, and a subtly
 * broken rule is caught.
 */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import type { GradientTransformation } from '../src/index.js';
import { autoClip, clipByGlobalNorm, clipByNorm, clipByValue, passThroughReport } from '../src/index.js';
import { checkClipInvariants } from '../src/testing/index.js';

describe('checkClipInvariants', () => {
  it('built-in rules hold what they document: global norm keeps the direction under the bound; per-tensor keeps each tensor; value keeps neither', () => {
    const global = checkClipInvariants(() => clipByGlobalNorm(1), { numRuns: 60 });
    for (const inv of ['finite', 'reportMatches', 'normBound', 'perTensorBound', 'direction', 'globalDirection', 'stateIsJson'] as const) expect(global.holds(inv), String(global)).toBe(true);
    const perTensor = checkClipInvariants(() => clipByNorm(1), { numRuns: 60 });
    for (const inv of ['finite', 'reportMatches', 'perTensorBound', 'direction', 'identityBelow', 'stateIsJson'] as const) expect(perTensor.holds(inv), String(perTensor)).toBe(true);
    expect(perTensor.holds('globalDirection')).toBe(false);
    expect(perTensor.holds('normBound')).toBe(false);
    const auto = checkClipInvariants(() => autoClip({ percentile: 10 }), { numRuns: 40, invariants: ['finite', 'normBound', 'globalDirection', 'stateIsJson'] });
    expect(auto.outcomes.every((o) => o.holds), String(auto)).toBe(true);
  });
  it('refutes an invariant with a minimal counterexample, printed by name', () => {
    const r = checkClipInvariants(() => clipByValue(0.5), { numRuns: 60, invariants: ['direction', 'identityBelow'] });
    expect(r.holds('direction')).toBe(false);
    expect(r.holds('identityBelow')).toBe(true);
    const text = String(r);
    expect(text).toMatch(/^invariants of clipByValue\(0\.5\):/);
    expect(text).toMatch(/✗ direction .*\n\s+counterexample: step 1: gradients .* tensor \d+ is not a non-negative multiple of its input/);
    // Shrunk: the failing tensor has at most a few entries.
    const counter = r.outcomes.find((o) => o.invariant === 'direction')!.counterexample!;
    expect(counter.match(/\[[^\]]*\]/)![0].split(',').length).toBeLessThanOrEqual(3);
  });
  it('catches a subtly broken rule: a bound off by 1% (it scales to 1.01·threshold) and a report that lies', () => {
    const sloppy = (): GradientTransformation<null> => ({
      name: 'sloppy(1)',
      init: () => null,
      update(grads) {
        const norm = Math.sqrt(grads.reduce((s, g) => s + (g ? T.sum(T.square(g)).item() : 0), 0));
        const scale = norm > 1 ? 1.01 / norm : 1;
        const out = grads.map((g) => (g ? T.mul(g, scale) : null));
        return { grads: out, state: null, report: { ...passThroughReport('sloppy(1)', grads), threshold: 1, normBefore: norm, normAfter: norm } };
      },
    });
    const r = checkClipInvariants(sloppy, { numRuns: 60, invariants: ['normBound', 'reportMatches', 'globalDirection'] });
    expect(r.holds('normBound')).toBe(false);
    expect(r.outcomes.find((o) => o.invariant === 'normBound')!.counterexample).toMatch(/norm after 1\.01\d* > threshold 1/);
    expect(r.holds('reportMatches')).toBe(false);
    expect(r.holds('globalDirection')).toBe(true);
  });
  it('a rule that throws is reported as a failure, not a crash; bad arguments are named errors', () => {
    const throwing = (): GradientTransformation<null> => ({ name: 'throws', init: () => null, update: () => { throw new Error('boom'); } });
    const r = checkClipInvariants(throwing, { numRuns: 5, invariants: ['finite'] });
    expect(r.outcomes[0]!.counterexample).toMatch(/update threw Error: boom/);
    expect(() => checkClipInvariants(() => clipByNorm(1), { invariants: ['bounded' as never] })).toThrow(/unknown invariant/);
    expect(() => checkClipInvariants(() => clipByNorm(1), { runs: 5 } as never)).toThrow(T.OptionError);
  });
});
