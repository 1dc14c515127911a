/**
 * pathological-tasks — Pascanu, Mikolov & Bengio (2013), section 5: the
 * temporal-order and addition problems, a tanh RNN trained with and without
 * norm clipping over several seeds and sequence lengths. Success: under 1%
 * error on fresh sequences (temporal order: misclassified sequences; addition:
 * sequences whose absolute error exceeds 0.04, Hochreiter & Schmidhuber's
 * criterion).
 */
import type { Tensor } from '@tapegrad/autograd';
import { Generator, add, crossEntropy, mseLoss, mul, noGrad, select } from '@tapegrad/autograd';
import { SGD, clipByGlobalNorm } from '@tapegrad/optim';
import type { Args } from '../lib/args.js';
import { SequenceModel } from '../lib/models.js';
import { accuracy } from '@tapegrad/nn';
import { RunOutput, markdownTable } from '../lib/output.js';
import { lineChart } from '@tapegrad/optim/plot';
import { Progress } from '../lib/progress.js';
import { addition, temporalOrder } from '../lib/tasks.js';
import { pascanuOmega } from './regularizer.js';

type TaskName = 'temporal-order' | 'addition';

const TASKS: Record<TaskName, { inputs: number; outputs: number; make: typeof temporalOrder; loss: (out: Tensor, y: Tensor) => Tensor; error: (out: Tensor, y: Tensor) => number }> = {
  'temporal-order': { inputs: 8, outputs: 4, make: temporalOrder, loss: (o, y) => crossEntropy(o, y), error: (o, y) => 1 - accuracy(o, y) },
  addition: {
    inputs: 2,
    outputs: 1,
    make: addition,
    loss: (o, y) => mseLoss(o, y),
    error: (o, y) => {
      let bad = 0;
      // !(≤) rather than >: a NaN output (a diverged run) is an error, not a success.
      for (let i = 0; i < y.size; i++) if (!(Math.abs(o.data[i]! - y.data[i]!) <= 0.04)) bad++;
      return bad / y.size;
    },
  },
};

/** Pascanu et al.'s three settings: plain SGD, SGD with clipping (SGD-C), clipping plus the regulariser Ω (SGD-CR). */
type Setting = 'SGD' | 'SGD-C' | 'SGD-CR';

interface RunResult {
  task: TaskName;
  length: number;
  seed: number;
  setting: Setting;
  success: boolean;
  stepsToSuccess: number | null;
  finalError: number;
  losses: number[];
  /** Global gradient norm (before clipping) at the last step. */
  lastGradNorm: number;
}

interface TrainOptions {
  hidden: number;
  steps: number;
  lr: number;
  momentum: number;
  batch: number;
  evalEvery: number;
  threshold: number;
  /** λ, the weight of Ω in SGD-CR. */
  omega: number;
}

/** The training loss: E, plus λΩ for SGD-CR (run step by step, keeping h_t, so Ω can see every step's Jacobian). */
function objective(model: SequenceModel, task: TaskName, x: Tensor, y: Tensor, omega: number): Tensor {
  const spec = TASKS[task];
  if (omega === 0) return spec.loss(model.forward(x), y);
  const { out, states } = model.rnn.forward(x, {}, { keepStates: true });
  const loss = spec.loss(model.head.forward(select(out, 1, -1)), y);
  return add(loss, mul(pascanuOmega(loss, states![0]!), omega));
}

function trainOne(task: TaskName, length: number, seed: number, setting: Setting, o: TrainOptions): RunResult {
  const spec = TASKS[task];
  const clip = setting === 'SGD' ? null : o.threshold;
  const omega = setting === 'SGD-CR' ? o.omega : 0;
  const model = new SequenceModel('rnn', spec.inputs, o.hidden, spec.outputs, new Generator(seed));
  const opt = new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum, clip: clip === null ? null : clipByGlobalNorm(clip) });
  const test = spec.make(500, length, new Generator(seed + 7777));
  const losses: number[] = [];
  let err = 1;
  let lastGradNorm = NaN;
  for (let s = 0; s < o.steps; s++) {
    const { x, y } = spec.make(o.batch, length, new Generator(seed * 1_000_003 + s));
    opt.zeroGrad();
    const loss = objective(model, task, x, y, omega);
    losses.push(loss.item());
    loss.backward();
    lastGradNorm = opt.step().groups[0]!.normBefore;
    if ((s + 1) % o.evalEvery === 0) {
      err = spec.error(noGrad(() => model.forward(test.x)), test.y);
      if (err < 0.01) return { task, length, seed, setting, success: true, stepsToSuccess: s + 1, finalError: err, losses, lastGradNorm };
      if (!Number.isFinite(losses[losses.length - 1]!)) break;
    }
  }
  return { task, length, seed, setting, success: false, stepsToSuccess: null, finalError: err, losses, lastGradNorm };
}

export const usage = `npm run example -- pathological-tasks [--tasks temporal-order,addition] [--lengths 5,10,20] [--seeds 3] [--steps 1500]
  [--hidden 32] [--lr 0.05] [--momentum 0.9] [--batch 20] [--threshold 1] [--omega 0] [--eval-every 100] [--out runs/pathological-tasks]
  --omega λ > 0 adds SGD-CR: clipping plus Pascanu et al.'s regulariser Ω with weight λ (a second-order gradient).`;

export async function run(args: Args): Promise<void> {
  const tasks = args.string('tasks', 'temporal-order,addition').split(',') as TaskName[];
  for (const t of tasks) if (!(t in TASKS)) throw new Error(`unknown task '${t}'; choose from ${Object.keys(TASKS).join(', ')}`);
  const lengths = args.string('lengths', '5,10,20').split(',').map(Number);
  const seeds = args.number('seeds', 3);
  const o = { hidden: args.number('hidden', 32), steps: args.number('steps', 1500), lr: args.number('lr', 0.05), momentum: args.number('momentum', 0.9), batch: args.number('batch', 20), evalEvery: args.number('eval-every', 100) };
  const threshold = args.number('threshold', 1);
  const omega = args.number('omega', 0);
  if (!(omega >= 0)) throw new Error(`--omega must be a weight ≥ 0, got ${omega}`);
  const settings: Setting[] = omega > 0 ? ['SGD', 'SGD-C', 'SGD-CR'] : ['SGD', 'SGD-C'];
  const train: TrainOptions = { ...o, threshold, omega };
  const out = new RunOutput('pathological-tasks', args.optional('out'));
  args.checkUnknown();
  console.log(`pathological-tasks: tanh RNN, hidden ${o.hidden}, SGD lr ${o.lr} momentum ${o.momentum}, batch ${o.batch}, up to ${o.steps} steps; ${settings.join(' / ')} (clipByGlobalNorm(${threshold})${omega > 0 ? `, Ω weight ${omega}` : ''}); ${seeds} seeds.\n`);
  const total = tasks.length * lengths.length * seeds * settings.length;
  const progress = new Progress('runs', total);
  const results: RunResult[] = [];
  for (const task of tasks)
    for (const length of lengths)
      for (let seed = 1; seed <= seeds; seed++)
        for (const setting of settings) {
          const r = trainOne(task, length, seed, setting, train);
          results.push(r);
          progress.update(results.length, { task, length, setting, loss: r.losses[r.losses.length - 1]!, '‖g‖': r.lastGradNorm, 'test error': r.finalError });
        }
  const rows: (string | number)[][] = [];
  for (const task of tasks)
    for (const length of lengths) {
      const cell = (setting: Setting) => {
        const rs = results.filter((r) => r.task === task && r.length === length && r.setting === setting);
        const ok = rs.filter((r) => r.success);
        const meanSteps = ok.length ? Math.round(ok.reduce((a, r) => a + r.stepsToSuccess!, 0) / ok.length) : NaN;
        return [`${ok.length}/${rs.length}`, Number.isNaN(meanSteps) ? '—' : meanSteps];
      };
      rows.push([task, length, ...settings.flatMap(cell)]);
    }
  const heads: Record<Setting, string> = { SGD: 'no clipping', 'SGD-C': `clip ${threshold}`, 'SGD-CR': `clip ${threshold} + Ω, λ ${omega}` };
  const table = markdownTable(['task', 'length', ...settings.flatMap((st) => [`success, ${heads[st]}`, 'mean steps to success'])], rows);
  console.log(`\n${table}`);
  const rate = (task: TaskName, setting: Setting) => lengths.map((L) => results.filter((r) => r.task === task && r.length === L && r.setting === setting && r.success).length / seeds);
  out.write('success.svg', lineChart(tasks.flatMap((task) => settings.map((st) => ({ name: `${task}, ${st} (${heads[st]})`, x: lengths, y: rate(task, st), markers: true, dashed: st === 'SGD' }))), { title: 'Success rate (< 1% test error) by sequence length', xLabel: 'sequence length', yLabel: 'fraction of seeds that succeed', yRange: [-0.05, 1.05] }));
  out.write('results.md', `# pathological-tasks\n\ntanh RNN, hidden ${o.hidden}; SGD lr ${o.lr}, momentum ${o.momentum}, batch ${o.batch}; at most ${o.steps} steps (stopping at success, checked every ${o.evalEvery}); ${seeds} seeds; ${settings.join(' / ')}: clipByGlobalNorm(${threshold}) against no clipping${omega > 0 ? `, and clipping plus Ω with weight ${omega}` : ''}.\n\n${table}\n![success](success.svg)\n`);
  out.writeJsonl('metrics.jsonl', results.map(({ losses, ...r }) => ({ ...r, steps: losses.length, lastLoss: losses[losses.length - 1] })));
  out.printPaths();
}
