/**
 * sharpness — the top Hessian eigenvalue of a tanh RNN's loss, measured by
 * power iteration on Hessian-vector products (second-order gradients), before
 * and during training on the temporal-order task, with and without gradient
 * clipping. Gradient descent with step η and momentum β is only stable along
 * directions whose curvature is below 2(1 + β)/η; clipping caps the step, so
 * the clipped run can sit in regions whose curvature the unclipped run could
 * not survive — or never get there. The chart shows where each run goes.
 */

import { Generator, crossEntropy, noGrad } from '@tapegrad/autograd';
import { SGD, clipByGlobalNorm } from '@tapegrad/optim';
import type { Args } from '../lib/args.js';
import { SequenceModel } from '../lib/models.js';
import { accuracy } from '@tapegrad/nn';
import { RunOutput, markdownTable } from '../lib/output.js';
import { PALETTE, lineChart } from '@tapegrad/optim/plot';
import { Progress } from '../lib/progress.js';
import { temporalOrder } from '../lib/tasks.js';
import { topHessianEigenvalue } from './hessian.js';

interface Trace {
  setting: string;
  steps: number[];
  sharpness: number[];
  loss: number[];
  accuracy: number;
}

export const usage = `npm run example -- sharpness [--length 20] [--hidden 16] [--steps 600] [--lr 0.05] [--momentum 0.9] [--threshold 1] [--every 20] [--iterations 30] [--seed 1] [--out runs/sharpness]`;

export async function run(args: Args): Promise<void> {
  const o = { length: args.number('length', 20), hidden: args.number('hidden', 16), steps: args.number('steps', 600), lr: args.number('lr', 0.05), momentum: args.number('momentum', 0.9), threshold: args.number('threshold', 1), every: args.number('every', 20), iterations: args.number('iterations', 30), seed: args.number('seed', 1) };
  const out = new RunOutput('sharpness', args.optional('out'));
  args.checkUnknown();
  const edge = (2 * (1 + o.momentum)) / o.lr;
  console.log(`sharpness: tanh RNN (hidden ${o.hidden}) on temporal order, length ${o.length}; SGD lr ${o.lr} momentum ${o.momentum}, ${o.steps} steps; λ_max by power iteration every ${o.every} steps (stability edge 2(1+β)/η = ${edge.toFixed(1)}).\n`);
  // The loss whose Hessian is measured: a fixed batch, the same for every run and every measurement.
  const probe = temporalOrder(200, o.length, new Generator(o.seed + 99));
  const test = temporalOrder(500, o.length, new Generator(o.seed + 7777));
  const settings: [string, number | null][] = [['no clipping', null], [`clipByGlobalNorm(${o.threshold})`, o.threshold]];
  const progress = new Progress('steps', settings.length * o.steps);
  const traces: Trace[] = [];
  for (const [name, clip] of settings) {
    const model = new SequenceModel('rnn', 8, o.hidden, 4, new Generator(o.seed));
    const params = model.parameters();
    const opt = new SGD(params, { lr: o.lr, momentum: o.momentum, clip: clip === null ? null : clipByGlobalNorm(clip) });
    const trace: Trace = { setting: name, steps: [], sharpness: [], loss: [], accuracy: 0 };
    const measure = (step: number) => {
      const loss = crossEntropy(model.forward(probe.x), probe.y);
      const s = topHessianEigenvalue(loss, params, new Generator(o.seed + step), o.iterations);
      trace.steps.push(step);
      trace.sharpness.push(s.lambda);
      trace.loss.push(loss.item());
    };
    measure(0);
    for (let step = 1; step <= o.steps; step++) {
      const { x, y } = temporalOrder(20, o.length, new Generator(o.seed * 1_000_003 + step));
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      if (step % o.every === 0 || step === o.steps) measure(step);
      const last = trace.sharpness.length - 1;
      progress.update(traces.length * o.steps + step, { setting: name, loss: loss.item(), 'λ_max': trace.sharpness[last]! });
      if (!Number.isFinite(loss.item())) break;
    }
    trace.accuracy = accuracy(noGrad(() => model.forward(test.x)), test.y);
    traces.push(trace);
  }
  const rows = traces.map((t) => [t.setting, t.sharpness[0]!, t.sharpness.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0), t.sharpness[t.sharpness.length - 1]!, t.loss[t.loss.length - 1]!, t.accuracy]);
  const table = markdownTable(['setting', 'λ_max at init', 'dominant λ of largest magnitude seen', 'λ_max at the end', 'probe loss at the end', 'test accuracy'], rows);
  console.log(`\n${table}\nstability edge of SGD with momentum: 2(1+β)/η = ${edge.toFixed(1)}`);
  // The unclipped run is drawn last (dashed, on top): until clipping first acts, the two runs are the same run.
  // |λ| on a log axis: the dominant eigenvalue can be negative where a run sits on a cliff or a saddle (see metrics.jsonl).
  const series = traces.map((t, i) => ({ name: t.setting, x: t.steps, y: t.sharpness.map(Math.abs), markers: true, dashed: i === 0, color: PALETTE[i]! }));
  out.write('sharpness.svg', lineChart([...series].reverse(), { title: 'Sharpness: |dominant Hessian eigenvalue| of the loss during training', xLabel: 'training step', yLabel: '|λ_max|', logY: true, hLines: [{ y: edge, label: '2(1+β)/η' }] }));
  out.write('results.md', `# sharpness\n\ntanh RNN, hidden ${o.hidden}, temporal order length ${o.length}; SGD lr ${o.lr}, momentum ${o.momentum}; λ_max of the loss on a fixed batch of 200 by power iteration (≤ ${o.iterations} Hessian-vector products) every ${o.every} steps.\n\n${table}\n\nStability edge 2(1+β)/η = ${edge.toFixed(1)}.\n\n![sharpness](sharpness.svg)\n`);
  out.writeJsonl('metrics.jsonl', traces.flatMap((t) => t.steps.map((s, i) => ({ setting: t.setting, step: s, sharpness: t.sharpness[i], probeLoss: t.loss[i] }))));
  out.printPaths();
}

