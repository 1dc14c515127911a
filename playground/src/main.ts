/**
 * Clip Lab's page: the controls, the charts, the exports. Training happens
 * in the worker (worker.ts); the page only draws what it streams.
 * `window.clipLab` exposes the streamed numbers to the end-to-end tests.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { PALETTE, heatmap } from '@tapegrad/optim/plot';
import type { Chart } from './charts.js';
import { lineChart } from './charts.js';
import type { FromWorker, RuleName, RunConfig, StepPoint, ToWorker } from './protocol.js';

const PRESETS: Record<string, Partial<RunConfig>> = {
  // The demo's showdown: an LSTM on temporal order with SGD at a learning rate far too large.
  unclipped: { task: 'temporal-order', cell: 'lstm', hidden: 32, length: 8, optimizer: 'sgd', lr: 10, momentum: 0.9, rule: 'none', threshold: 1, seed: 1 },
  clipped: { task: 'temporal-order', cell: 'lstm', hidden: 32, length: 8, optimizer: 'sgd', lr: 10, momentum: 0.9, rule: 'clipByGlobalNorm', threshold: 0.1, seed: 1 },
  // Pascanu et al.'s cliff with plain SGD, as in their figure.
  cliff: { task: 'cliff', cell: 'rnn', hidden: 1, length: 50, optimizer: 'sgd', lr: 1, momentum: 0, rule: 'none', threshold: 1, seed: 1 },
};

const form = document.getElementById('controls') as HTMLFormElement;
const status = document.getElementById('status')!;
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

function readConfig(): RunConfig {
  const n = (name: string) => Number(field(name).value);
  return { task: field('task').value as RunConfig['task'], cell: field('cell').value as RunConfig['cell'], hidden: n('hidden'), length: n('length'), optimizer: field('optimizer').value as RunConfig['optimizer'], lr: n('lr'), momentum: n('momentum'), rule: field('rule').value as RuleName, threshold: n('threshold'), seed: n('seed') };
}

function writeConfig(c: Partial<RunConfig>): void {
  for (const [k, v] of Object.entries(c)) field(k).value = String(v);
}

const state = {
  backend: '',
  threads: null as { count: number; available: boolean; reason?: string } | null,
  config: null as RunConfig | null,
  points: [] as StepPoint[],
  strips: [] as { step: number; norms: number[] }[],
  stepsPerSecond: NaN,
  running: false,
  exported: null as { jsonl: string; csv: string; safetensors: Uint8Array } | null,
  errors: [] as string[],
};
(window as unknown as { clipLab: unknown }).clipLab = state;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

const lossChart = lineChart(document.getElementById('loss-chart')!, 'Training loss', 'loss', [['loss', PALETTE[0]!, false, false]], true);
const normSeries = (): [string, string, boolean, boolean][] => [
  ['‖g‖ before clipping', PALETTE[1]!, false, false],
  ['‖g‖ after clipping', PALETTE[0]!, false, false],
  ['threshold', '#777777', true, false],
  ['clipped step', PALETTE[3]!, false, true],
];
let normChart: Chart = lineChart(document.getElementById('norm-chart')!, 'Global gradient norm: applied rule and what the others would have done (dashed)', '‖g‖₂ (log)', normSeries(), true);
let shadowNames: string[] = [];

function resetCharts(): void {
  lossChart.reset(['loss']);
  normChart.reset(normSeries().map(([n]) => n));
  shadowNames = [];
  document.getElementById('strip')!.innerHTML = '';
  document.querySelector('#params tbody')!.innerHTML = '';
}

function addPoints(points: StepPoint[]): void {
  if (points.length === 0) return;
  if (shadowNames.length === 0 && points[0]!.shadow.length > 0) {
    shadowNames = points[0]!.shadow.map((s) => `if ${s.name.replace(/\(.*/, '')}`);
    normChart.reset([...normSeries().map(([n]) => n), ...shadowNames]);
    // Replay what was already streamed into the rebuilt chart.
    normChart.push(state.points.map(normRow));
  }
  lossChart.push(points.map((p) => [p.step, p.loss > 0 ? p.loss : NaN]));
  normChart.push(points.map(normRow));
  const last = points[points.length - 1]!;
  const rows = last.params.map((p) => `<tr><td>${p.name}</td><td>${p.normBefore.toPrecision(4)}</td><td>${p.normAfter.toPrecision(4)}</td><td>${Number.isFinite(p.scale) ? p.scale.toPrecision(3) : 'elementwise'}</td><td>${p.clipped ? 'yes' : 'no'}</td></tr>`);
  document.querySelector('#params tbody')!.innerHTML = rows.join('');
  if (last.wb) scheduleDraw(drawCliff);
}

/** The SVG panels are redrawn at most 4 times a second: at thousands of steps per second, redrawing per message would starve the page. */
let drawPending = false;
function scheduleDraw(draw: () => void): void {
  if (drawPending) return;
  drawPending = true;
  setTimeout(() => {
    drawPending = false;
    draw();
  }, 250);
}

function normRow(p: StepPoint): number[] {
  return [p.step, p.normBefore, p.normAfter, p.threshold ?? NaN, p.clipped ? p.normBefore : NaN, ...p.shadow.map((s) => s.normAfter)];
}

let surface: { values: number[][]; ws: number[]; bs: number[] } | null = null;
function drawCliff(): void {
  if (!surface) return;
  // At most ~400 points of the path: every k-th step, plus the latest.
  const all = state.points.filter((p) => p.wb);
  const k = Math.max(1, Math.ceil(all.length / 400));
  const path = all.filter((_, i) => i % k === 0 || i === all.length - 1);
  document.getElementById('strip-title')!.textContent = 'Loss surface of the one-unit RNN, with the trajectory';
  document.getElementById('strip')!.innerHTML = heatmap(surface.values, surface.ws, surface.bs, {
    title: 'log10 loss over (w, b)',
    xLabel: 'w (recurrent weight)',
    yLabel: 'b (bias)',
    colorLabel: 'log10 loss',
    width: 520,
    height: 300,
    overlay: [{ name: `${state.config?.rule ?? 'none'} path`, x: [4.5, ...path.map((p) => p.wb![0])], y: [-1, ...path.map((p) => p.wb![1])], color: '#ff4040' }],
  });
}

function drawStrip(): void {
  if (state.config?.task === 'cliff' || state.strips.length === 0) return;
  const recent = state.strips.slice(-40);
  const T = recent[0]!.norms.length;
  const values = recent.map((s) => s.norms.map((v) => Math.log10(v + 1e-30)));
  document.getElementById('strip-title')!.textContent = '‖dL/dh_t‖ over the time steps (every 10 steps)';
  document.getElementById('strip')!.innerHTML = heatmap(values, Array.from({ length: T }, (_, i) => i + 1), recent.map((s) => s.step), { title: 'log10 ‖dL/dh_t‖: vanishing (dark, left) or exploding (bright)', xLabel: 'time step t', yLabel: 'training step', colorLabel: 'log10 ‖dL/dh_t‖', width: 520, height: 260 });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'ready') {
    state.backend = m.backend;
    state.threads = m.threads;
    state.config = m.config;
    surface = m.surface ?? null;
    if (surface) drawCliff();
  } else if (m.type === 'steps') {
    state.points.push(...m.points);
    if (Number.isFinite(m.stepsPerSecond)) state.stepsPerSecond = m.stepsPerSecond;
    addPoints(m.points);
  } else if (m.type === 'strip') {
    state.strips.push({ step: m.step, norms: m.norms });
    scheduleDraw(drawStrip);
  } else if (m.type === 'exported') {
    state.exported = m;
    if (pendingDownload) download(pendingDownload);
  } else if (m.type === 'error') state.errors.push(m.message);
  const last = state.points[state.points.length - 1];
  status.textContent = `backend: ${state.backend || '…'}${state.threads ? ` × ${state.threads.count} thread${state.threads.count === 1 ? '' : 's'}` : ''} · step ${last?.step ?? 0} · ${Number.isFinite(state.stepsPerSecond) ? `${state.stepsPerSecond.toFixed(0)} steps/s` : 'paused'}${state.errors.length ? ` · error: ${state.errors[state.errors.length - 1]}` : ''}`;
};

function reset(): void {
  state.points = [];
  state.strips = [];
  state.exported = null;
  state.running = false;
  trainButton.textContent = 'Train';
  resetCharts();
  send({ type: 'reset', config: readConfig() });
}

const trainButton = document.getElementById('train') as HTMLButtonElement;
trainButton.addEventListener('click', () => {
  state.running = !state.running;
  trainButton.textContent = state.running ? 'Pause' : 'Train';
  send({ type: state.running ? 'run' : 'pause' });
});
document.getElementById('step')!.addEventListener('click', () => {
  state.running = false;
  trainButton.textContent = 'Train';
  send({ type: 'step' });
});
document.getElementById('reset')!.addEventListener('click', reset);
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
  b.addEventListener('click', () => {
    writeConfig(PRESETS[b.dataset.preset!]!);
    reset();
  });
}
// The rule and its threshold apply at once, mid-run; every other setting needs a reset.
for (const name of ['rule', 'threshold']) field(name).addEventListener('change', () => send({ type: 'setRule', rule: field('rule').value as RuleName, threshold: Number(field('threshold').value) }));
for (const name of ['task', 'cell', 'hidden', 'length', 'optimizer', 'lr', 'momentum', 'seed']) field(name).addEventListener('change', reset);

let pendingDownload: 'jsonl' | 'csv' | 'safetensors' | null = null;
function download(kind: 'jsonl' | 'csv' | 'safetensors'): void {
  const ex = state.exported!;
  const blob = kind === 'safetensors' ? new Blob([ex.safetensors as BlobPart], { type: 'application/octet-stream' }) : new Blob([kind === 'jsonl' ? ex.jsonl : ex.csv], { type: 'text/plain' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `clip-lab.${kind}`;
  a.click();
  pendingDownload = null;
}
for (const [id, kind] of [['export-jsonl', 'jsonl'], ['export-csv', 'csv'], ['export-model', 'safetensors']] as const) {
  document.getElementById(id)!.addEventListener('click', () => {
    pendingDownload = kind;
    send({ type: 'export' });
  });
}

writeConfig(PRESETS.clipped!);
reset();
