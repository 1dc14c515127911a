/** What every fixture suite reports back to the runner. */
import type { Comparison } from './fixture.js';

export interface CaseResult {
  /** e.g. "ops[12] pow". */
  name: string;
  comparisons: Comparison[];
  /** Set when the case could not run at all (unsupported op, thrown error). */
  error?: string;
}

/** One fixture file and how to replay its cases. */
export interface Suite {
  /** The --only name: ops, recurrent, optim, clip, train. */
  name: string;
  file: string;
  /** Replays every case of the parsed file. */
  run(fixture: unknown): CaseResult[];
}

export function failed(r: CaseResult): boolean {
  return r.error !== undefined || r.comparisons.some((c) => c.problem !== undefined);
}

/** Runs one case, turning a thrown error into a failed result that names it. */
export function guard(name: string, fn: () => CaseResult['comparisons']): CaseResult {
  try {
    return { name, comparisons: fn() };
  } catch (e) {
    return { name, comparisons: [], error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

export function casesOf(fixture: unknown, file: string): Record<string, unknown>[] {
  const cases = (fixture as { cases?: unknown }).cases;
  if (!Array.isArray(cases)) throw new Error(`${file}: expected a top-level "cases" array`);
  return cases as Record<string, unknown>[];
}
