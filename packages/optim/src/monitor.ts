/**
 * GradientMonitor: collects step reports over a run and exports them (JSONL,
 * CSV) with a summary: fraction of steps clipped, skipped steps and
 * percentiles of the gradient norm before clipping.
 */
import { checkOptions, requireNumber } from '@tapegrad/autograd';
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
      for (const g of report.groups) if (Number.isFinite(g.normBefore) && g.normBefore > this.maxNorm) this.maxNorm = g.normBefore;
    }
    this.kept.push(report);
    // Amortized O(1): drop the oldest half-window at once rather than shifting every step.
    if (this.kept.length >= 2 * this.maxReports) this.kept = this.kept.slice(this.kept.length - this.maxReports);
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

  /** A CSV of rows(): step, group, lr, normBefore, normAfter, clipped, skipped, threshold, loss. */
  toCSV(): string {
    const head = 'step,group,lr,normBefore,normAfter,clipped,skipped,threshold,loss';
    const lines = this.rows().map((r) => [r.step, r.group, r.lr, r.normBefore, r.normAfter, r.clipped ? 1 : 0, r.skipped ? 1 : 0, r.threshold ?? '', r.loss ?? ''].join(','));
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
    };
  }

  /** The last `maxReports` reports (all when unbounded). */
  private window(): StepReport[] {
    return this.kept.length > this.maxReports ? this.kept.slice(this.kept.length - this.maxReports) : this.kept;
  }
}
