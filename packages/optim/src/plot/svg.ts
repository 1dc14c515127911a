/**
 * A small SVG plotting module (no browser, no DOM, no dependency): line
 * charts with a title, axis labels, ticks, a legend beside the plot and an
 * optional log scale, and heatmaps with line overlays. Non-finite points
 * break a line instead of breaking the chart. Colours are Okabe & Ito's
 * colour-blind-safe palette. The output is an SVG string: write it to a file
 * in Node, or put it into a page.
 */

/** One line of a chart: its legend name and points; non-finite y values break the line. */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** CSS colour (default: the next PALETTE colour). */
  color?: string;
  /** Draw dashed (e.g. the unclipped run). */
  dashed?: boolean;
  /** Draw markers at the points (for short series). */
  markers?: boolean;
  /** Draw the connecting line (default true); false with markers gives a scatter (e.g. clipped steps). */
  line?: boolean;
}

/** A chart's labels and layout. Every chart has a title and axis labels. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log-scale y axis (non-positive values are left out). */
  logY?: boolean;
  /** Size in pixels of the plot area (default 760 × 440; the legend adds to the width). */
  width?: number;
  height?: number;
  /** Fixed axis ranges (default: the data's extent). */
  yRange?: [number, number];
  xRange?: [number, number];
  /** Horizontal reference lines, e.g. a clipping threshold. */
  hLines?: { y: number; label: string }[];
  /** The legend sits to the right of the plot area, never over the data. */
}

/** Colour-blind-friendly palette (Okabe & Ito). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step);
  for (let k = first; k * step <= hi + step * 1e-9; k++) ticks.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return ticks;
}

/** A tick label: 0, exponent form below 1e-3 and from 1e5, otherwise up to 4 significant digits. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return Number(v.toPrecision(4)).toString();
}

interface Frame {
  svg: string[];
  sx: (x: number) => number;
  sy: (y: number) => number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  width: number;
  height: number;
}

function frame(opts: ChartOptions, xr: [number, number], yr: [number, number], integerX = false, legendWidth = 0): Frame {
  // A legend gets its own column right of the plot; the canvas widens by it, the plot keeps its size.
  const width = (opts.width ?? 760) + legendWidth, height = opts.height ?? 440;
  const left = 78, right = 20 + legendWidth, top = 46, bottom = 58;
  const plotW = width - left - right, plotH = height - top - bottom;
  const logY = opts.logY ?? false;
  const ty = (y: number) => (logY ? Math.log10(y) : y);
  const [y0, y1] = [ty(yr[0]), ty(yr[1])];
  const sx = (x: number) => left + ((x - xr[0]) / (xr[1] - xr[0] || 1)) * plotW;
  const sy = (y: number) => top + plotH - ((ty(y) - y0) / (y1 - y0 || 1)) * plotH;
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  // Grid and ticks
  const xt = niceTicks(xr[0], xr[1], 8).filter((v) => !integerX || Number.isInteger(v));
  for (const v of xt) {
    const X = sx(v);
    svg.push(`<line x1="${X}" y1="${top}" x2="${X}" y2="${top + plotH}" stroke="#eee"/>`, `<text x="${X}" y="${top + plotH + 18}" text-anchor="middle">${formatTick(v)}</text>`);
  }
  const yt = logY ? logTicks(yr[0], yr[1]) : niceTicks(yr[0], yr[1], 6);
  for (const v of yt) {
    const Y = sy(v);
    svg.push(`<line x1="${left}" y1="${Y}" x2="${left + plotW}" y2="${Y}" stroke="#eee"/>`, `<text x="${left - 8}" y="${Y + 4}" text-anchor="end">${formatTick(v)}</text>`);
  }
  svg.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle" font-size="13">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(opts.yLabel)}${logY ? ' (log scale)' : ''}</text>`,
  );
  return { svg, sx, sy, left, top, plotW, plotH, width, height };
}

function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / 8));
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) ticks.push(10 ** e);
  return ticks.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
}

function extent(values: number[], log: boolean): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? [0.1, 1] : [0, 1];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (lo === hi) {
    lo = log ? lo / 2 : lo - 1;
    hi = log ? hi * 2 : hi + 1;
  }
  if (log) return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function polyline(f: Frame, s: Series, color: string, logY: boolean, yr: [number, number]): string[] {
  const out: string[] = [];
  let pts: string[] = [];
  const flush = () => {
    if (s.line === false) pts = [];
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.join(' ')}"/>`);
    else if (pts.length === 1) out.push(`<circle cx="${pts[0]!.split(',')[0]}" cy="${pts[0]!.split(',')[1]}" r="2" fill="${color}"/>`);
    pts = [];
  };
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i]!, y = s.y[i]!;
    if (!Number.isFinite(y) || (logY && y <= 0)) {
      flush();
      continue;
    }
    const yc = Math.min(Math.max(y, yr[0]), yr[1]);
    pts.push(`${f.sx(x).toFixed(1)},${f.sy(yc).toFixed(1)}`);
    if (s.markers) out.push(`<circle cx="${f.sx(x).toFixed(1)}" cy="${f.sy(yc).toFixed(1)}" r="3" fill="${color}"/>`);
  }
  flush();
  return out;
}

/** Width of the legend column for these names (text at ~7 px per character, the swatch, padding). */
function legendWidth(items: readonly { name: string }[]): number {
  return items.length === 0 ? 0 : Math.max(...items.map((i) => i.name.length)) * 7 + 52;
}

/** The legend box in the column right of the plot (`inside` for map overlays, which have no free column). */
function legend(f: Frame, items: { name: string; color: string; dashed?: boolean | undefined; scatter?: boolean }[], inside = false): string[] {
  const out: string[] = [];
  const w = legendWidth(items) - 12;
  const x = inside ? f.left + 12 : f.left + f.plotW + 18;
  let y = f.top + 16;
  out.push(`<rect x="${x - 6}" y="${y - 12}" width="${w}" height="${items.length * 18 + 6}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  for (const it of items) {
    const swatch = it.scatter ? `<circle cx="${x + 11}" cy="${y - 4}" r="3.5" fill="${it.color}"/>` : `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    out.push(swatch, `<text x="${x + 28}" y="${y}">${esc(it.name)}</text>`);
    y += 18;
  }
  return out;
}

/** A line chart of several series on shared axes. */
export function lineChart(series: readonly Series[], opts: ChartOptions): string {
  const logY = opts.logY ?? false;
  const xs = series.flatMap((s) => [...s.x]).filter(Number.isFinite);
  const xRange: [number, number] = opts.xRange ?? [Math.min(...xs), Math.max(...xs)];
  const yRange = opts.yRange ?? extent(series.flatMap((s) => [...s.y]).concat((opts.hLines ?? []).map((h) => h.y)), logY);
  const items = series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: s.dashed, scatter: s.line === false }));
  const f = frame(opts, xRange, yRange, xs.every(Number.isInteger), legendWidth(items));
  f.svg.push(`<clipPath id="plot"><rect x="${f.left}" y="${f.top}" width="${f.plotW}" height="${f.plotH}"/></clipPath><g clip-path="url(#plot)">`);
  for (const h of opts.hLines ?? []) {
    const Y = f.sy(h.y);
    f.svg.push(`<line x1="${f.left}" y1="${Y}" x2="${f.left + f.plotW}" y2="${Y}" stroke="#777" stroke-dasharray="3 3"/>`, `<text x="${f.left + f.plotW - 4}" y="${Y - 4}" text-anchor="end" fill="#555">${esc(h.label)}</text>`);
  }
  series.forEach((s, i) => f.svg.push(...polyline(f, s, s.color ?? PALETTE[i % PALETTE.length]!, logY, yRange)));
  f.svg.push('</g>');
  f.svg.push(...legend(f, items));
  f.svg.push('</svg>');
  return f.svg.join('\n');
}

const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];
function viridis(t: number): string {
  const x = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  const c = VIRIDIS[i]!.map((v, k) => Math.round(v + (VIRIDIS[i + 1]![k]! - v) * f));
  return `rgb(${c.join(',')})`;
}

/** A heatmap's labels, colour-bar label and optional line overlays. */
export interface HeatmapOptions extends Omit<ChartOptions, 'logY' | 'hLines'> {
  /** Label of the colour bar. */
  colorLabel: string;
  /** Lines drawn over the map (trajectories). */
  overlay?: readonly Series[];
}

/**
 * The part of segment p→q inside the box (Liang–Barsky), as its two end
 * points, or null when the segment misses the box.
 */
function clipSegment(p: readonly [number, number], q: readonly [number, number], box: { x0: number; x1: number; y0: number; y1: number }): [[number, number], [number, number]] | null {
  const dx = q[0] - p[0], dy = q[1] - p[1];
  let t0 = 0, t1 = 1;
  for (const [num, den] of [[p[0] - box.x0, -dx], [box.x1 - p[0], dx], [p[1] - box.y0, -dy], [box.y1 - p[1], dy]] as const) {
    if (den === 0) {
      if (num < 0) return null;
      continue;
    }
    const t = num / den;
    if (den < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
  }
  if (t0 > t1) return null;
  return [[p[0] + t0 * dx, p[1] + t0 * dy], [p[0] + t1 * dx, p[1] + t1 * dy]];
}

/**
 * values[r][c] at (xs[c], ys[r]); colour by value (non-finite cells grey).
 * Overlay series are drawn in the map's coordinates with a legend.
 */
export function heatmap(values: readonly (readonly number[])[], xs: readonly number[], ys: readonly number[], opts: HeatmapOptions): string {
  const flat = values.flat().filter(Number.isFinite);
  const lo = Math.min(...flat), hi = Math.max(...flat);
  const width = (opts.width ?? 760) + 90;
  // The overlay legend gets its own column right of the colour bar, so it never covers the map.
  const legendCol = opts.overlay?.length ? legendWidth(opts.overlay.map((o) => ({ name: `${o.name} (× leaves view, ◦ returns)` }))) + 24 : 0;
  const f = frame({ ...opts, width }, [xs[0]!, xs[xs.length - 1]!], [ys[0]!, ys[ys.length - 1]!], false, legendCol);
  const plotW = f.plotW - 90;
  const sx = (x: number) => f.left + ((x - xs[0]!) / (xs[xs.length - 1]! - xs[0]! || 1)) * plotW;
  const cw = plotW / xs.length, ch = f.plotH / ys.length;
  const cells: string[] = [];
  for (let r = 0; r < ys.length; r++)
    for (let c = 0; c < xs.length; c++) {
      const v = values[r]![c]!;
      const fill = Number.isFinite(v) ? viridis((v - lo) / (hi - lo || 1)) : '#999';
      cells.push(`<rect x="${(f.left + c * cw).toFixed(1)}" y="${(f.top + f.plotH - (r + 1) * ch).toFixed(1)}" width="${(cw + 0.6).toFixed(1)}" height="${(ch + 0.6).toFixed(1)}" fill="${fill}"/>`);
    }
  // Redraw the frame so cells sit under the axes; rebuild x ticks for the narrower plot.
  const svg = [f.svg[0]!, f.svg[1]!, f.svg[2]!, ...cells];
  for (const v of niceTicks(xs[0]!, xs[xs.length - 1]!, 8)) svg.push(`<text x="${sx(v)}" y="${f.top + f.plotH + 18}" text-anchor="middle">${formatTick(v)}</text>`);
  for (const v of niceTicks(ys[0]!, ys[ys.length - 1]!, 6)) svg.push(`<text x="${f.left - 8}" y="${f.sy(v) + 4}" text-anchor="end">${formatTick(v)}</text>`);
  svg.push(
    `<rect x="${f.left}" y="${f.top}" width="${plotW}" height="${f.plotH}" fill="none" stroke="#333"/>`,
    `<text x="${f.left + plotW / 2}" y="${f.height - 14}" text-anchor="middle" font-size="13">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(18 ${f.top + f.plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(opts.yLabel)}</text>`,
  );
  // Colour bar
  const bx = f.left + plotW + 24;
  for (let i = 0; i < 50; i++) svg.push(`<rect x="${bx}" y="${(f.top + f.plotH - ((i + 1) * f.plotH) / 50).toFixed(1)}" width="16" height="${(f.plotH / 50 + 0.6).toFixed(1)}" fill="${viridis(i / 49)}"/>`);
  for (const v of niceTicks(lo, hi, 5)) svg.push(`<text x="${bx + 20}" y="${(f.top + f.plotH - ((v - lo) / (hi - lo || 1)) * f.plotH + 4).toFixed(1)}">${formatTick(v)}</text>`);
  svg.push(`<text transform="translate(${bx + 70} ${f.top + f.plotH / 2}) rotate(90)" text-anchor="middle">${esc(opts.colorLabel)}</text>`);
  // Overlays: each trajectory is cut where it leaves the window (never pinned to the edge, which would draw
  // a path that was not taken); an × marks each exit and a ◦ each re-entry, and the legend says so.
  const box = { x0: xs[0]!, x1: xs[xs.length - 1]!, y0: ys[0]!, y1: ys[ys.length - 1]! };
  const X = (x: number) => sx(x).toFixed(1), Y = (y: number) => f.sy(y).toFixed(1);
  const items: { name: string; color: string; dashed?: boolean | undefined }[] = [];
  (opts.overlay ?? []).forEach((s, i) => {
    const color = s.color ?? ['#ffffff', '#ff4040', '#00e0ff', '#ffa000'][i % 4]!;
    const pts = s.x.map((x, k) => [x, s.y[k]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const inside = ([x, y]: readonly [number, number]) => x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1;
    const runs: [number, number][][] = [];
    const marks: string[] = [];
    let current: [number, number][] = [];
    pts.forEach((p, k) => {
      if (inside(p)) {
        if (k > 0 && !inside(pts[k - 1]!)) {
          const cut = clipSegment(pts[k - 1]!, p, box);
          if (cut) {
            current.push(cut[0]);
            marks.push(`<circle cx="${X(cut[0][0])}" cy="${Y(cut[0][1])}" r="5" fill="none" stroke="${color}" stroke-width="2"/>`);
          }
        }
        current.push([p[0], p[1]]);
        svg.push(`<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="2.2" fill="${color}"/>`);
        return;
      }
      if (k === 0) return;
      const cut = clipSegment(pts[k - 1]!, p, box);
      if (cut && inside(pts[k - 1]!)) {
        current.push(cut[1]);
        const [ex, ey] = cut[1];
        marks.push(`<path d="M${(sx(ex) - 6).toFixed(1)},${(f.sy(ey) - 6).toFixed(1)} l12,12 m0,-12 l-12,12" stroke="${color}" stroke-width="3"/>`);
      } else if (cut) runs.push([cut[0], cut[1]]); // passes through the window between two outside points
      if (current.length) runs.push(current);
      current = [];
    });
    if (current.length) runs.push(current);
    for (const r of runs) if (r.length > 1) svg.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${r.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ')}"/>`);
    svg.push(...marks);
    const left = pts.some((p) => !inside(p));
    items.push({ name: left ? `${s.name} (× leaves view${marks.some((m) => m.startsWith('<circle')) ? ', ◦ returns' : ''})` : s.name, color, dashed: s.dashed });
  });
  if (items.length) svg.push(...legend({ ...f, plotW: f.plotW + 24 }, items).map((l) => l.replace(/stroke="#ffffff"/g, 'stroke="#777"').replace(/fill="#ffffff"/g, 'fill="#777"')));
  svg.push('</svg>');
  return svg.join('\n');
}
