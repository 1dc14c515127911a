/**
 * GradientMonitor: collects step reports over a run and exports them (JSONL,
 * CSV) with a summary: fraction of steps clipped, skipped steps and
 * percentiles of the gradient norm before clipping.
 */
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
  steps: number;
  /** Steps where any group clipped, over steps taken. */
  fractionClipped: number;
  skipped: number;
  normBefore: { p50: number; p90: number; p99: number; max: number };
}

/** Anything with post-step hooks (every Optimizer). */
interface Observable<O> {
  registerStepPostHook(hook: (opt: O, report: StepReport) => void): { remove(): void };
}

/** Collects step reports; exports JSONL/CSV and a summary. */
export class GradientMonitor {
  readonly reports: StepReport[] = [];
  private handle: { remove(): void } | null = null;

  /** Records every step of `optimizer` from now on. */
  attach<O extends Observable<O>>(optimizer: O): this {
    this.handle = optimizer.registerStepPostHook((_o, r) => this.record(r));
    return this;
  }
  detach(): void {
    this.handle?.remove();
    this.handle = null;
  }
  record(report: StepReport): void {
    this.reports.push(report);
  }

  rows(): MonitorRow[] {
    return this.reports.flatMap((r): MonitorRow[] =>
      r.skipped
        ? [{ step: r.step, group: -1, lr: NaN, normBefore: NaN, normAfter: NaN, clipped: false, skipped: true, threshold: null, loss: r.loss ?? null }]
        : r.groups.map((g) => ({ step: r.step, group: g.group, lr: g.lr, normBefore: g.normBefore, normAfter: g.normAfter, clipped: g.clipped, skipped: false, threshold: g.threshold, loss: r.loss ?? null })),
    );
  }

  /** One JSON object per line: the full step reports (per parameter included). */
  toJSONL(): string {
    return this.reports.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join('\n') + (this.reports.length ? '\n' : '');
  }

  /** A CSV of rows(): step, group, lr, normBefore, normAfter, clipped, skipped, threshold, loss. */
  toCSV(): string {
    const head = 'step,group,lr,normBefore,normAfter,clipped,skipped,threshold,loss';
    const lines = this.rows().map((r) => [r.step, r.group, r.lr, r.normBefore, r.normAfter, r.clipped ? 1 : 0, r.skipped ? 1 : 0, r.threshold ?? '', r.loss ?? ''].join(','));
    return [head, ...lines].join('\n') + '\n';
  }

  summary(): MonitorSummary {
    const taken = this.reports.filter((r) => !r.skipped);
    const norms = taken.flatMap((r) => r.groups.map((g) => g.normBefore)).filter((n) => Number.isFinite(n));
    const pct = (p: number) => (norms.length ? percentile(norms, p) : NaN);
    return {
      steps: taken.length,
      fractionClipped: taken.length ? taken.filter((r) => r.groups.some((g) => g.clipped)).length / taken.length : 0,
      skipped: this.reports.length - taken.length,
      normBefore: { p50: pct(50), p90: pct(90), p99: pct(99), max: norms.length ? Math.max(...norms) : NaN },
    };
  }
}
