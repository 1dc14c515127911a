/**
 * @tapegrad/optim/plot — SVG charts without a browser: `lineChart`,
 * `heatmap`, and `monitorCharts(monitor)`, the loss curve and the gradient
 * norm before and after clipping (log scale, thresholds drawn, clipped steps
 * marked) from a GradientMonitor in one call.
 *
 * Why our own renderer rather than Vega-Lite or Observable Plot: both need a
 * DOM (jsdom) to render SVG in Node, a large dependency for a few chart
 * types; this module is ~250 lines, has no dependency, runs unchanged in
 * Node and browsers, and its charts follow the project's rules (title, axis
 * labels, legend beside the data, colour-blind-safe palette).
 */
import type { GradientMonitor } from '../monitor.js';
import { PALETTE, lineChart } from './svg.js';
import type { Series } from './svg.js';

export { PALETTE, lineChart, heatmap, niceTicks, formatTick } from './svg.js';
export type { Series, ChartOptions, HeatmapOptions } from './svg.js';

/** Charts of one monitored run. */
export interface MonitorCharts {
  /** The loss per step, or null when no step carried a loss (pass it to opt.step(loss) or monitor.log). */
  loss: string | null;
  /** ‖g‖ before and after clipping per step (log scale), each distinct threshold as a line, clipped steps marked. */
  gradNorm: string;
}

/**
 * The loss curve and gradient-norm chart of the steps `monitor` kept, as SVG
 * strings (group 0 when the optimizer has several groups; pass `group`).
 */
export function monitorCharts(monitor: GradientMonitor, options: { title?: string; group?: number } = {}): MonitorCharts {
  const title = options.title ? `${options.title}: ` : '';
  const group = options.group ?? 0;
  const rows = monitor.rows().filter((r) => r.group === group || r.skipped);
  const steps = rows.map((r) => r.step);
  const losses = rows.map((r) => r.loss ?? NaN);
  const loss = losses.some(Number.isFinite) ? lineChart([{ name: 'loss', x: steps, y: losses, color: PALETTE[0]! }], { title: `${title}loss`, xLabel: 'step', yLabel: 'loss' }) : null;
  const clipped = rows.filter((r) => r.clipped);
  const series: Series[] = [
    { name: '‖g‖ before clipping', x: steps, y: rows.map((r) => r.normBefore), color: PALETTE[1]! },
    { name: '‖g‖ after clipping', x: steps, y: rows.map((r) => r.normAfter), color: PALETTE[0]!, dashed: true },
  ];
  if (clipped.length > 0 && clipped.length <= 200) series.push({ name: `clipped (${clipped.length} steps)`, x: clipped.map((r) => r.step), y: clipped.map((r) => r.normBefore), color: PALETTE[3]!, markers: true, line: false });
  const thresholds = [...new Set(rows.map((r) => r.threshold).filter((t): t is number => t !== null && Number.isFinite(t) && t > 0))];
  const gradNorm = lineChart(series, {
    title: `${title}gradient norm before and after clipping`,
    xLabel: 'step',
    yLabel: '‖g‖₂',
    logY: true,
    hLines: thresholds.length <= 3 ? thresholds.map((t) => ({ y: t, label: `threshold ${t}` })) : [],
  });
  return { loss, gradNorm };
}
