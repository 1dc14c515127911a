/**
 * The streaming charts, on uPlot (chosen because it is small, fast with
 * thousands of points appended live, and draws log axes; Observable Plot
 * re-renders whole SVGs per update). Every chart has a title, axis labels and
 * a legend below the plot, in Okabe & Ito's colour-blind-safe palette. The
 * heat strip and the cliff surface are SVG from @tapegrad/optim/plot.
 */
import uPlot from 'uplot';
import { PALETTE, formatTick } from '@tapegrad/optim/plot';

export interface Chart {
  plot: uPlot;
  data: number[][];
  /** Appends points (one value per series, x first) and redraws. */
  push(rows: number[][]): void;
  reset(seriesNames: string[]): void;
  readonly points: number;
}

const DASH = [6, 4];
const LOG_FLOOR = 1e-12;

/** A line chart with x = step; series are [name, color, dashed, pointsOnly]. */
export function lineChart(el: HTMLElement, title: string, yLabel: string, series: [string, string, boolean, boolean][], log: boolean): Chart {
  const width = () => Math.max(280, el.clientWidth - 8);
  const make = (names: [string, string, boolean, boolean][]) =>
    new uPlot(
      {
        title,
        width: width(),
        height: 240,
        scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
        axes: [{ label: 'step' }, { label: yLabel, size: 60, values: (_u: uPlot, ticks: (number | null)[]) => ticks.map((v) => (v === null || !Number.isFinite(v) ? "" : formatTick(v))) }],
        legend: { show: true, live: false },
        series: [{ label: 'step' }, ...names.map(([label, stroke, dashed, pointsOnly]) => ({ label, stroke, width: pointsOnly ? 0 : 1.5, ...(dashed ? { dash: DASH } : {}), points: { show: pointsOnly, size: 5, fill: stroke }, spanGaps: false }))],
      },
      [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
      el,
    );
  const chart: Chart = {
    plot: make(series),
    data: [[], ...series.map(() => [])],
    push(rows) {
      // Gaps, not broken scales: a log axis cannot show 0, negative or infinite values (a diverged run has them).
      // Log axes are floored at 1e-12 (a converged loss reaches 1e-32, and uPlot's log ticks break over such spans).
      for (const row of rows) row.forEach((v, i) => chart.data[i]!.push(i > 0 && (!Number.isFinite(v) || (log && v <= 0)) ? (null as unknown as number) : i > 0 && log ? Math.max(v, LOG_FLOOR) : v));
      chart.plot.setData(chart.data as unknown as uPlot.AlignedData);
    },
    reset(names) {
      chart.plot.destroy();
      const spec = names.map((n, i): [string, string, boolean, boolean] => series.find(([s]) => s === n) ?? [n, PALETTE[(i + 2) % PALETTE.length]!, true, false]);
      chart.plot = make(spec);
      chart.data = [[], ...spec.map(() => [])];
    },
    get points() {
      return chart.data[0]!.length;
    },
  };
  new ResizeObserver(() => chart.plot.setSize({ width: width(), height: 240 })).observe(el);
  return chart;
}
