/**
 * The PyTorch fixtures in ../shared/fixtures (or $TAPEGRAD_FIXTURES) replay
 * through the reference runner with no failure, and the runner itself
 * detects wrong values (so a pass means something).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReference } from '../src/runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = process.env.TAPEGRAD_FIXTURES ?? resolve(here, '../../../shared/fixtures');

describe('reference fixtures (PyTorch 1.13, float64)', () => {
  it('the fixture directory exists', () => {
    expect(existsSync(join(FIXTURES, 'FORMAT.md')), `fixtures not found at ${FIXTURES}`).toBe(true);
  });
  for (const name of ['ops', 'recurrent', 'optim', 'clip', 'train']) {
    it(`${name}.json: every case passes`, () => {
      const report = runReference(FIXTURES, [name]);
      expect(report.failures).toEqual([]);
      expect(report.passed).toBeGreaterThan(0);
    });
  }
  it('the runner reports a perturbed value as a failure with its error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-fx-'));
    cpSync(FIXTURES, dir, { recursive: true });
    const file = join(dir, 'ops.json');
    const fixture = JSON.parse(readFileSync(file, 'utf8')) as { cases: { out: { data: number[] } }[] };
    fixture.cases[0]!.out.data[0]! += 1e-6;
    writeFileSync(file, JSON.stringify(fixture));
    const report = runReference(dir, ['ops']);
    expect(report.failed).toBe(1);
    expect(report.failures[0]).toMatch(/^FAIL ops\[0\] .*largest error 1\.00e-6/);
  });
});
