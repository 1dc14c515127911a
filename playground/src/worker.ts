/**
 * The training loop, in a Web Worker so the page never freezes. It runs
 * steps in small slices (so pause, step and rule changes are handled between
 * slices), streams each step's loss, gradient norms, clip report and the
 * shadows' reports (every rule not applied is a shadow: `shadow` on the
 * optimizer), and every few steps the ‖dL/dh_t‖ profile. The same config and
 * seed replay the same run.
 */
import * as T from '@tapegrad/autograd';
import { serializeSafetensors } from '@tapegrad/nn';
import { Adam, GradientMonitor, SGD } from '@tapegrad/optim';
import type { Optimizer, StepReport } from '@tapegrad/optim';
import { CliffNet, RULES, SequenceNet, TASKS, batchAt, ruleOf } from './model.js';
import type { FromWorker, RuleName, RunConfig, StepPoint, TaskName, ToWorker } from './protocol.js';
import { lossAt } from '../../examples/lib/cliff.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

interface Run {
  config: RunConfig;
  model: SequenceNet | CliffNet;
  opt: Optimizer<{ lr: number }>;
  monitor: GradientMonitor;
  step: number;
  running: boolean;
}
let run: Run | null = null;

function build(config: RunConfig): Run {
  T.manualSeed(config.seed);
  const gen = new T.Generator(config.seed);
  const model = config.task === 'cliff' ? new CliffNet(config.length) : new SequenceNet(config.cell, TASKS[config.task].inputs, config.hidden, TASKS[config.task].outputs, gen);
  const shadow = (Object.keys(RULES) as Exclude<RuleName, 'none'>[]).filter((r) => r !== config.rule).map((r) => RULES[r](defaultThreshold(r)));
  const options = { lr: config.lr, clip: ruleOf(config.rule, config.threshold), shadow };
  const params = model.namedParameters();
  const opt = (config.optimizer === 'adam' ? new Adam(params, options) : new SGD(params, { ...options, momentum: config.momentum })) as unknown as Optimizer<{ lr: number }>;
  const monitor = new GradientMonitor({ maxReports: 5000 }).attach(opt as unknown as SGD);
  return { config, model, opt, monitor, step: 0, running: false };
}

/** The threshold a shadow rule uses: its usual default. */
export function defaultThreshold(rule: RuleName): number {
  return { none: 0, clipByValue: 0.5, clipByNorm: 1, clipByGlobalNorm: 1, adaptiveGradClip: 0.01, autoClip: 10, zClip: 2.5 }[rule];
}

function lossOf(r: Run): T.Tensor {
  if (r.model instanceof CliffNet) return r.model.forward();
  const { x, y } = batchAt(r.config, r.step);
  return TASKS[r.config.task as Exclude<TaskName, 'cliff'>].loss(r.model.forward(x), y);
}

function pointOf(r: Run, report: StepReport): StepPoint {
  const g = report.groups[0]!;
  return {
    step: report.step,
    loss: report.loss ?? NaN,
    normBefore: report.normBefore,
    normAfter: report.normAfter,
    clipped: Boolean(report.clip?.clipped),
    threshold: report.clip?.threshold ?? null,
    rule: report.clip?.name ?? 'none',
    shadow: (report.shadow ?? []).map((s) => ({ name: s.name, normAfter: s.normAfter, clipped: s.clipped })),
    params: g.params.map((p) => ({ name: p.name, normBefore: p.normBefore, normAfter: p.normAfter, scale: p.scale, clipped: p.clipped })),
    ...(r.model instanceof CliffNet ? { wb: [r.model.w.data[0]!, r.model.b.data[0]!] as [number, number] } : {}),
  };
}

function oneStep(r: Run): StepPoint {
  r.opt.zeroGrad();
  const loss = lossOf(r);
  loss.backward();
  const report = r.opt.step(loss);
  r.step++;
  return pointOf(r, report);
}

function profile(r: Run): void {
  if (!(r.model instanceof SequenceNet)) return;
  const { x, y } = batchAt(r.config, r.step);
  const task = TASKS[r.config.task as Exclude<TaskName, 'cliff'>];
  post({ type: 'strip', step: r.step, norms: r.model.profile(x, (o) => task.loss(o, y)) });
}

/** Runs steps for ~40 ms, posts them, and schedules the next slice while running. */
function slice(): void {
  const r = run;
  if (!r || !r.running) return;
  const start = performance.now();
  const points: StepPoint[] = [];
  while (performance.now() - start < 40) {
    points.push(oneStep(r));
    if (r.step % 10 === 0) profile(r);
  }
  post({ type: 'steps', points, stepsPerSecond: (points.length / (performance.now() - start)) * 1000 });
  setTimeout(slice, 0);
}

function surfaceOf(config: RunConfig): { values: number[][]; ws: number[]; bs: number[] } {
  const G = 60;
  const ws = Array.from({ length: G }, (_, i) => -2 + (11 * i) / (G - 1));
  const bs = Array.from({ length: G }, (_, i) => -6 + (9 * i) / (G - 1));
  const loss = T.noGrad(() => lossAt(T.tensor(Float64Array.from({ length: G * G }, (_, k) => ws[k % G]!)), T.tensor(Float64Array.from({ length: G * G }, (_, k) => bs[Math.floor(k / G)]!)), { T: config.length, x0: 0.5, target: 0.7 }));
  return { values: bs.map((_, r) => ws.map((__, c) => Math.log10(loss.data[r * G + c]! + 1e-12))), ws, bs };
}

/** The WebAssembly backend's threads here: several only when the page is cross-origin isolated (vite.config.ts sends the headers). */
function threadsNow(): { count: number; available: boolean; reason?: string } {
  const t = T.backendInfo().wasm.threads;
  return { count: T.getNumThreads(), available: t.available, ...(t.reason ? { reason: t.reason } : {}) };
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  try {
    const m = e.data;
    if (m.type === 'reset') {
      run = build(m.config);
      post({ type: 'ready', backend: T.getBackend(), threads: threadsNow(), config: m.config, ...(m.config.task === 'cliff' ? { surface: surfaceOf(m.config) } : {}) });
      profile(run);
    } else if (!run) throw new Error(`'${m.type}' before a run was configured`);
    else if (m.type === 'run') {
      if (!run.running) {
        run.running = true;
        slice();
      }
    } else if (m.type === 'pause') run.running = false;
    else if (m.type === 'step') {
      run.running = false;
      post({ type: 'steps', points: [oneStep(run)], stepsPerSecond: NaN });
      profile(run);
    } else if (m.type === 'setRule') {
      // The applied rule changes from the next step; the shadows stay as they were.
      run.opt.setClip(ruleOf(m.rule, m.threshold));
      run.config = { ...run.config, rule: m.rule, threshold: m.threshold };
    } else if (m.type === 'export') {
      const bytes = serializeSafetensors(run.model.stateDict(), { step: String(run.step), config: JSON.stringify(run.config) });
      post({ type: 'exported', jsonl: run.monitor.toJSONL(), csv: run.monitor.toCSV({ perParameter: true }), safetensors: bytes }, [bytes.buffer]);
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};

