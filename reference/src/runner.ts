/**
 * The reference runner: replays every case of a fixture directory through
 * the public API and reports the failures with their largest error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clipSuite } from './clip-suite.js';
import { higherSuite } from './higher-suite.js';
import { opsSuite } from './ops-suite.js';
import { optimSuite } from './optim-suite.js';
import { recurrentSuite } from './recurrent-suite.js';
import { trainSuite } from './train-suite.js';
import type { Precision } from './precision.js';
import { withPrecision } from './precision.js';
import type { CaseResult, Suite } from './suite.js';
import { failed } from './suite.js';

/** Every suite, in dependency order. */
export const SUITES: Suite[] = [opsSuite, recurrentSuite, optimSuite, clipSuite, trainSuite, higherSuite];
/** Fixture files of the format, including those no suite can run yet. */
export const FILES = ['ops', 'recurrent', 'optim', 'clip', 'train', 'higher'] as const;

export interface ReferenceReport {
  passed: number;
  failed: number;
  /** One line per failing case (or unrunnable file). */
  failures: string[];
  results: CaseResult[];
}

function describe(r: CaseResult): string {
  if (r.error) return `FAIL ${r.name}: ${r.error}`;
  const bad = r.comparisons.filter((c) => c.problem);
  const worst = bad.reduce((m, c) => Math.max(m, c.maxAbsError), 0);
  return `FAIL ${r.name}: largest error ${worst.toExponential(2)} — ${bad.map((c) => c.problem).join('; ')}`;
}

/** Runs the suites named in `only` (all by default) on the fixture directory `dir`, in float64 or (cast) float32. */
export function runReference(dir: string, only?: readonly string[], options: { dtype?: Precision } = {}): ReferenceReport {
  return withPrecision(options.dtype ?? 'float64', () => runAll(dir, only));
}

function runAll(dir: string, only?: readonly string[]): ReferenceReport {
  const wanted = only && only.length > 0 ? only : [...FILES];
  for (const name of wanted) if (!(FILES as readonly string[]).includes(name)) throw new Error(`unknown fixture file '${name}'; expected one of ${FILES.join(', ')}`);
  const report: ReferenceReport = { passed: 0, failed: 0, failures: [], results: [] };
  for (const name of wanted) {
    const file = join(dir, `${name}.json`);
    if (!existsSync(file)) {
      report.failed++;
      report.failures.push(`FAIL ${name}.json: file not found in ${dir}`);
      continue;
    }
    const fixture = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const suite = SUITES.find((s) => s.name === name);
    if (!suite) {
      const n = Array.isArray((fixture as { cases?: unknown[] }).cases) ? (fixture as { cases: unknown[] }).cases.length : 1;
      report.failed += n;
      report.failures.push(`FAIL ${name}.json: cannot run yet (${n} cases): no runner for this file`);
      continue;
    }
    for (const r of suite.run(fixture)) {
      report.results.push(r);
      if (failed(r)) {
        report.failed++;
        report.failures.push(describe(r));
      } else report.passed++;
    }
  }
  return report;
}
