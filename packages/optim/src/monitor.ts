/**
 * GradientMonitor: collects step reports over a run and exports them (JSONL,
 * CSV) with a summary: fraction of steps clipped, skipped steps and
 * percentiles of the gradient norm before clipping. The loss travels with
 * each step when the optimizer is given it (`opt.step(loss)`, or a closure)
 * or when `monitor.log({ loss })` is called after the step. With
 * `maxReports` memory stays bounded on long runs: the exports keep the last
 * N steps, while counts, maxima and approximate percentiles (a log-spaced
 * histogram) cover the whole run.
 */
import { ValueError, checkOptions, describeValue, optionalBoolean, requireNumber } from '@tapegrad/autograd';
import { percentile } from './clip/adaptive.js';
import type { StepReport } from './optimizer.js';

/** One flat row per step and group. */
export interface MonitorRow {
  step: number;
  group: number;
  lr: number;
  normBefore: number;
  normAfter: number;
  clipped: boolean;
  skipped: boolean;
  threshold: number | null;
  loss: number | null;
}

/** Summary of a run: steps, fraction clipped, skipped steps, percentiles of the norm before clipping. */
export interface MonitorSummary {
  /** Steps taken (not skipped) over the whole run. */
  steps: number;
  /** Steps where any group clipped, over steps taken. */
  fractionClipped: number;
  skipped: number;
  /** Percentiles over the reports kept (all of them, or the last `maxReports`); max over the whole run. */
  normBefore: { p50: number; p90: number; p99: number; max: number };
  /**
   * Percentiles over every step of the run, from a streaming log-spaced
   * histogram (40 bins per decade: within 3% of the exact value), so they
   * stay available when `maxReports` keeps only a window.
   */
  normBeforeRun: { p50: number; p90: number; p99: number };
  /** Mean loss over the steps that carried one (whole run); NaN if none did. */
  meanLoss: number;
}

/** A streaming histogram of positive values on a log scale: constant memory, percentiles to within half a bin. */
class LogHistogram {
  private static readonly PER_DECADE = 40;
  private static readonly MIN_EXP = -30;
  private static readonly MAX_EXP = 30;
  private readonly counts = new Float64Array((LogHistogram.MAX_EXP - LogHistogram.MIN_EXP) * LogHistogram.PER_DECADE + 2);
  private zeros = 0;
  private total = 0;
  add(v: number): void {
    if (!Number.isFinite(v) || v < 0) return;
    this.total++;
    if (v === 0) {
      this.zeros++;
      return;
    }
    const pos = (Math.log10(v) - LogHistogram.MIN_EXP) * LogHistogram.PER_DECADE;
    const bin = Math.min(this.counts.length - 1, Math.max(0, Math.floor(pos) + 1));
    this.counts[bin]!++;
  }
  /** The p-th percentile (0–100): the geometric centre of the bin holding it; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    let rank = (p / 100) * (this.total - 1) + 1;
    if (rank <= this.zeros) return 0;
    rank -= this.zeros;
    for (let b = 0; b < this.counts.length; b++) {
      rank -= this.counts[b]!;
      if (rank <= 0) return 10 ** (LogHistogram.MIN_EXP + (b - 0.5) / LogHistogram.PER_DECADE);
    }
    return NaN;
  }
}

/** Options of GradientMonitor. */
export interface MonitorOptions {
  /**
   * Keep only the last N reports (a ring buffer) for exports and
   * percentiles, so memory stays bounded on long runs; counts, fraction
   * clipped and the maximum norm still cover every step. Default: keep all.
   */
  maxReports?: number;
}

/** Anything with post-step hooks (every Optimizer). */
export interface Observable<O> {
  registerStepPostHook(hook: (opt: O, report: StepReport) => void): { remove(): void };
}

/** Collects step reports; exports JSONL/CSV and a summary. */
export class GradientMonitor {
  private kept: StepReport[] = [];
  private handle: { remove(): void } | null = null;
  private readonly maxReports: number;
  private taken = 0;
  private skippedCount = 0;
  private clippedCount = 0;
  private maxNorm = -Infinity;
  private readonly histogram = new LogHistogram();
  private lossSum = 0;
  private lossCount = 0;

  constructor(options: MonitorOptions = {}) {
    checkOptions('GradientMonitor', options, ['maxReports']);
    this.maxReports = options.maxReports === undefined ? Infinity : requireNumber('GradientMonitor', 'maxReports', options.maxReports, { integer: true, min: 1 });
  }

  /** The reports kept, oldest first (every report, or the last `maxReports`). */
  get reports(): readonly StepReport[] {
    return this.window();
  }

  /** Records every step of `optimizer` from now on. */
  attach<O extends Observable<O>>(optimizer: O): this {
    this.handle = optimizer.registerStepPostHook((_o, r) => this.record(r));
    return this;
  }
  detach(): void {
    this.handle?.remove();
    this.handle = null;
  }
  /** Adds one step report (attach() calls this after every step). */
  record(report: StepReport): void {
    if (report.skipped) this.skippedCount++;
    else {
      this.taken++;
      if (report.groups.some((g) => g.clipped)) this.clippedCount++;
      for (const g of report.groups) {
        if (Number.isFinite(g.normBefore) && g.normBefore > this.maxNorm) this.maxNorm = g.normBefore;
        this.histogram.add(g.normBefore);
      }
    }
    if (report.loss !== undefined) this.addLoss(report.loss);
    this.kept.push(report);
    // Amortized O(1): drop the oldest half-window at once rather than shifting every step.
    if (this.kept.length >= 2 * this.maxReports) this.kept = this.kept.slice(this.kept.length - this.maxReports);
  }

  /**
   * Attaches values to the most recent step — today the loss, for loops that
   * call `opt.step()` without it: `opt.step(); monitor.log({ loss: loss.item() })`.
   */
  log(values: { loss?: number }): this {
    checkOptions('GradientMonitor.log', values, ['loss']);
    const last = this.kept[this.kept.length - 1];
    if (!last) throw new ValueError('GradientMonitor.log', 'no step recorded yet: call it after opt.step() (with the monitor attached)');
    if (values.loss !== undefined) {
      if (typeof values.loss !== 'number') throw new ValueError('GradientMonitor.log', `loss must be a number, got ${describeValue(values.loss)}`);
      if (last.loss !== undefined) throw new ValueError('GradientMonitor.log', `step ${last.step} already has a loss (${last.loss}); it was given to opt.step() or logged before`);
      this.kept[this.kept.length - 1] = { ...last, loss: values.loss };
      this.addLoss(values.loss);
    }
    return this;
  }

  private addLoss(loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.lossSum += loss;
    this.lossCount++;
  }

  rows(): MonitorRow[] {
    return this.window().flatMap((r): MonitorRow[] =>
      r.skipped
        ? [{ step: r.step, group: -1, lr: NaN, normBefore: NaN, normAfter: NaN, clipped: false, skipped: true, threshold: null, loss: r.loss ?? null }]
        : r.groups.map((g) => ({ step: r.step, group: g.group, lr: g.lr, normBefore: g.normBefore, normAfter: g.normAfter, clipped: g.clipped, skipped: false, threshold: g.threshold, loss: r.loss ?? null })),
    );
  }

  /** One JSON object per line: the full step reports (per parameter included). */
  toJSONL(): string {
    const reports = this.window();
    return reports.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join('\n') + (this.reports.length ? '\n' : '');
  }

  /**
   * A CSV of rows(): step, group, lr, normBefore, normAfter, clipped,
   * skipped, threshold, loss — and with `perParameter`, two more columns per
   * parameter (`normBefore:<name>`, `normAfter:<name>`; empty where a
   * parameter is not in the row's group).
   */
  toCSV(options: { perParameter?: boolean } = {}): string {
    checkOptions('GradientMonitor.toCSV', options, ['perParameter']);
    const perParameter = optionalBoolean('GradientMonitor.toCSV', 'perParameter', options.perParameter, false);
    const names: string[] = [];
    if (perParameter) for (const r of this.window()) for (const g of r.groups) for (const p of g.params) if (!names.includes(p.name)) names.push(p.name);
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const head = ['step,group,lr,normBefore,normAfter,clipped,skipped,threshold,loss', ...names.flatMap((n) => [quote(`normBefore:${n}`), quote(`normAfter:${n}`)])].join(',');
    const lines = this.window().flatMap((r) => {
      const groups = r.skipped ? [null] : r.groups;
      return groups.map((g) => {
        const base = g
          ? [r.step, g.group, g.lr, g.normBefore, g.normAfter, g.clipped ? 1 : 0, 0, g.threshold ?? '', r.loss ?? '']
          : [r.step, -1, NaN, NaN, NaN, 0, 1, '', r.loss ?? ''];
        const per = names.flatMap((n): (number | string)[] => {
          const p = g?.params.find((x) => x.name === n);
          return p ? [p.normBefore, p.normAfter] : ['', ''];
        });
        return [...base, ...per].join(',');
      });
    });
    return [head, ...lines].join('\n') + '\n';
  }

  /** Counts over the whole run; percentiles over the reports kept. */
  summary(): MonitorSummary {
    const norms = this.window().filter((r) => !r.skipped).flatMap((r) => r.groups.map((g) => g.normBefore)).filter((n) => Number.isFinite(n));
    const pct = (p: number) => (norms.length ? percentile(norms, p) : NaN);
    return {
      steps: this.taken,
      fractionClipped: this.taken ? this.clippedCount / this.taken : 0,
      skipped: this.skippedCount,
      normBefore: { p50: pct(50), p90: pct(90), p99: pct(99), max: this.maxNorm === -Infinity ? NaN : this.maxNorm },
      normBeforeRun: { p50: this.histogram.percentile(50), p90: this.histogram.percentile(90), p99: this.histogram.percentile(99) },
      meanLoss: this.lossCount ? this.lossSum / this.lossCount : NaN,
    };
  }

  /** The last `maxReports` reports (all when unbounded). */
  private window(): StepReport[] {
    return this.kept.length > this.maxReports ? this.kept.slice(this.kept.length - this.maxReports) : this.kept;
  }
}
