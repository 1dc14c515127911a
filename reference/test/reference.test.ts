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
import * as T from '@tapegrad/autograd';
import { runReference } from '../src/runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = process.env.TAPEGRAD_FIXTURES ?? resolve(here, '../../../shared/fixtures');

describe('reference fixtures (PyTorch 1.13, float64)', () => {
  it('the fixture directory exists', () => {
    expect(existsSync(join(FIXTURES, 'FORMAT.md')), `fixtures not found at ${FIXTURES}`).toBe(true);
  });
  for (const name of ['ops', 'recurrent', 'optim', 'clip', 'train', 'higher']) {
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
  it('higher.json: a perturbed Hessian-vector product (op and recurrent) is reported as a failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-fx-'));
    cpSync(FIXTURES, dir, { recursive: true });
    const file = join(dir, 'higher.json');
    type Hvp = { data: number[] } | null;
    const fixture = JSON.parse(readFileSync(file, 'utf8')) as { cases: { kind: string; op?: string; hvp: Hvp[] | Record<string, Hvp> }[] };
    const op = fixture.cases.find((c) => c.op === 'tanh')!;
    (op.hvp as Hvp[])[0]!.data[0]! += 1e-6;
    const lstm = fixture.cases.find((c) => c.kind === 'recurrent_hvp')!;
    (lstm.hvp as Record<string, Hvp>)['rnn.weight_hh_l0']!.data[3]! += 1e-6;
    writeFileSync(file, JSON.stringify(fixture));
    const report = runReference(dir, ['higher']);
    expect(report.failed).toBe(2);
    expect(report.failures.join('\n')).toMatch(/op tanh: .*hvp\[0\]/);
    expect(report.failures.join('\n')).toMatch(/recurrent_hvp .*hvp\.rnn\.weight_hh_l0/);
  });
});

describe('reference fixtures cast to float32, on the WebAssembly backend', () => {
  it('the wasm backend is active (the float32 kernels under test)', () => {
    T.setBackend('wasm');
    expect(T.getBackend()).toBe('wasm');
  });
  for (const name of ['ops', 'recurrent', 'optim', 'clip', 'train', 'higher']) {
    it(`${name}.json: every case passes at float32 tolerances`, () => {
      T.setBackend('wasm');
      const report = runReference(FIXTURES, [name], { dtype: 'float32' });
      expect(report.failures).toEqual([]);
      expect(report.passed).toBeGreaterThan(0);
    });
  }
  it('float32 is really what runs: at float64 tolerances most float32 cases fail', () => {
    // (a guard against the runner silently loading float64)
    const report = runReference(FIXTURES, ['ops'], { dtype: 'float32' });
    const outs = report.results.flatMap((r) => r.comparisons).filter((c) => c.maxAbsError > 1e-9);
    expect(outs.length).toBeGreaterThan(report.passed);
  });
});
