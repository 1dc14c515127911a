/** GradientMonitor's exports carry the loss and (optionally) per-parameter norms; a bounded monitor still summarises the whole run. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { GradientMonitor, SGD, clipByGlobalNorm, percentile } from '../src/index.js';

function setup(maxReports?: number) {
  const w = T.tensor([1, -2, 3], { dtype: 'float64', requiresGrad: true });
  const b = T.tensor([0.5], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([['layer.weight', w], ['layer.bias', b]], { lr: 0.01, clip: clipByGlobalNorm(5) });
  const monitor = new GradientMonitor(maxReports === undefined ? {} : { maxReports }).attach(opt);
  const lossAt = (scale: number) => {
    opt.zeroGrad();
    const loss = T.mul(T.add(T.sum(T.square(w)), T.sum(b)), scale);
    loss.backward();
    return loss;
  };
  return { opt, monitor, lossAt };
}

const csvRows = (csv: string) => csv.trim().split('\n').map((l) => l.split(','));

describe('GradientMonitor exports', () => {
  it('the CSV carries the loss given to opt.step(loss), opt.step(closure) or monitor.log({ loss })', () => {
    const { opt, monitor, lossAt } = setup();
    const l1 = lossAt(1);
    opt.step(l1);
    opt.step(2.5);
    lossAt(1);
    opt.step();
    monitor.log({ loss: 7 });
    lossAt(1);
    opt.step();
    const rows = csvRows(monitor.toCSV());
    const col = rows[0]!.indexOf('loss');
    expect(rows.slice(1).map((r) => r[col])).toEqual([String(l1.item()), '2.5', '7', '']);
    expect(monitor.summary().meanLoss).toBeCloseTo((l1.item() + 2.5 + 7) / 3, 12);
    expect(() => monitor.log({ loss: 1 }).log({ loss: 2 })).toThrow(/already has a loss/);
    expect(() => new GradientMonitor().log({ loss: 1 })).toThrow(/no step recorded yet/);
    expect(() => opt.step(T.tensor([1, 2]))).toThrow(/one element/);
  });
  it('perParameter adds normBefore:<name>/normAfter:<name> columns equal to the step report', () => {
    const { opt, monitor, lossAt } = setup();
    lossAt(3);
    const report = opt.step();
    const [head, row] = csvRows(monitor.toCSV({ perParameter: true }));
    expect(head!.slice(9)).toEqual(['normBefore:layer.weight', 'normAfter:layer.weight', 'normBefore:layer.bias', 'normAfter:layer.bias']);
    const params = report.groups[0]!.params;
    expect(row!.slice(9).map(Number)).toEqual([params[0]!.normBefore, params[0]!.normAfter, params[1]!.normBefore, params[1]!.normAfter]);
    expect(csvRows(monitor.toCSV())[0]!.length).toBe(9);
    expect(() => monitor.toCSV({ per_parameter: true } as never)).toThrow(T.OptionError);
  });
  it('invariant: with maxReports the exports keep the last N steps, while counts and the run percentiles (within 3%) cover every step', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1000, noNaN: true }), { minLength: 20, maxLength: 300 }), fc.integer({ min: 1, max: 15 }), (scales, maxReports) => {
        const { opt, monitor, lossAt } = setup(maxReports);
        const norms: number[] = [];
        for (const s of scales) {
          lossAt(s);
          norms.push(opt.step().groups[0]!.normBefore);
        }
        expect(csvRows(monitor.toCSV()).length - 1).toBe(Math.min(maxReports, scales.length));
        expect(monitor.reports.length).toBe(Math.min(maxReports, scales.length));
        const summary = monitor.summary();
        expect(summary.steps).toBe(scales.length);
        expect(summary.normBefore.max).toBe(Math.max(...norms));
        for (const p of [50, 90, 99] as const) {
          const exact = percentile(norms, p);
          const approx = summary.normBeforeRun[`p${p}`];
          // Within one bin (40 per decade: a factor 10^(1/40) ≈ 1.06) of a value between the neighbours of the exact rank.
          const sorted = [...norms].sort((a, b) => a - b);
          const rank = (p / 100) * (norms.length - 1);
          const lo = sorted[Math.floor(rank)]!, hi = sorted[Math.ceil(rank)]!;
          expect(approx).toBeGreaterThanOrEqual(lo / 1.03);
          expect(approx).toBeLessThanOrEqual(hi * 1.03);
          expect(Number.isFinite(exact)).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });
});
