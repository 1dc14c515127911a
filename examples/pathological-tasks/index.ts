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
import { CosineAnnealingLR, SGD, clipByGlobalNorm } from '@tapegrad/optim';
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
  /** 'cosine': lr decays to 0 over `steps` (CosineAnnealingLR); 'constant' (default): as in the paper. */
  schedule: 'constant' | 'cosine';
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
  const scheduler = o.schedule === 'cosine' ? new CosineAnnealingLR(opt, { tMax: o.steps }) : null;
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
    scheduler?.step();
    if ((s + 1) % o.evalEvery === 0) {
      err = spec.error(noGrad(() => model.forward(test.x)), test.y);
      if (err < 0.01) return { task, length, seed, setting, success: true, stepsToSuccess: s + 1, finalError: err, losses, lastGradNorm };
      if (!Number.isFinite(losses[losses.length - 1]!)) break;
    }
  }
  return { task, length, seed, setting, success: false, stepsToSuccess: null, finalError: err, losses, lastGradNorm };
}

/** Per-task defaults: what each task needs to show its trend within the default budget (see the README for each choice). */
interface TaskPlan {
  lengths: number[];
  steps: number;
  lr: number;
  schedule: 'constant' | 'cosine';
  evalEvery: number;
}
const DEFAULT_PLANS: Record<TaskName, TaskPlan> = {
  'temporal-order': { lengths: [5, 10, 20, 40], steps: 1500, lr: 0.05, schedule: 'constant', evalEvery: 100 },
  // Addition is a regression to ±0.04: it needs many more updates, a larger step early (which only the
  // clipped run survives) and a small one late (cosine decay to 0) to reach that precision.
  addition: { lengths: [5, 10], steps: 10000, lr: 0.2, schedule: 'cosine', evalEvery: 250 },
};
/** --paper: the paper's scale (hidden 50, plain SGD lr 0.01, lengths 50 and 100) with a long budget. */
const PAPER_PLANS: Record<TaskName, TaskPlan> = {
  'temporal-order': { lengths: [50, 100], steps: 50000, lr: 0.01, schedule: 'constant', evalEvery: 1000 },
  addition: { lengths: [50, 100], steps: 50000, lr: 0.01, schedule: 'constant', evalEvery: 1000 },
};

export const usage = `npm run example -- pathological-tasks [--tasks temporal-order,addition] [--lengths L1,L2] [--seeds 3] [--steps N]
  [--hidden 32] [--lr LR] [--schedule constant|cosine] [--momentum 0.9] [--batch 20] [--threshold 1] [--omega 0] [--eval-every N] [--paper] [--out runs/pathological-tasks]
  Defaults per task: temporal order lengths 5,10,20,40, 1500 steps, lr 0.05 constant; addition lengths 5,10, 10000 steps, lr 0.2 with cosine decay.
  Options given on the command line apply to every task. --paper: hidden 50, plain SGD lr 0.01, lengths 50,100, 50000 steps.
  --omega λ > 0 adds SGD-CR: clipping plus Pascanu et al.'s regulariser Ω with weight λ (a second-order gradient).`;

export async function run(args: Args): Promise<void> {
  const tasks = args.string('tasks', 'temporal-order,addition').split(',') as TaskName[];
  for (const t of tasks) if (!(t in TASKS)) throw new Error(`unknown task '${t}'; choose from ${Object.keys(TASKS).join(', ')}`);
  const paper = args.flag('paper');
  const given = (key: string) => args.optional(key);
  const numberArg = (key: string): number | undefined => {
    const v = given(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${key} expects a number, got '${v}'`);
    return n;
  };
  const lengthsArg = given('lengths')?.split(',').map(Number);
  const schedule = given('schedule');
  if (schedule !== undefined && schedule !== 'constant' && schedule !== 'cosine') throw new Error(`--schedule must be constant or cosine, got ${schedule}`);
  const plans = Object.fromEntries(
    tasks.map((t) => {
      const base = (paper ? PAPER_PLANS : DEFAULT_PLANS)[t];
      return [t, { lengths: lengthsArg ?? base.lengths, steps: numberArg('steps') ?? base.steps, lr: numberArg('lr') ?? base.lr, schedule: (schedule as TaskPlan['schedule'] | undefined) ?? base.schedule, evalEvery: numberArg('eval-every') ?? base.evalEvery }];
    }),
  ) as Record<TaskName, TaskPlan>;
  const seeds = args.number('seeds', 3);
  const o = { hidden: args.number('hidden', paper ? 50 : 32), momentum: args.number('momentum', paper ? 0 : 0.9), batch: args.number('batch', 20) };
  const threshold = args.number('threshold', 1);
  const omega = args.number('omega', 0);
  if (!(omega >= 0)) throw new Error(`--omega must be a weight ≥ 0, got ${omega}`);
  const settings: Setting[] = omega > 0 ? ['SGD', 'SGD-C', 'SGD-CR'] : ['SGD', 'SGD-C'];
  const trainFor = (task: TaskName): TrainOptions => ({ ...o, ...plans[task], threshold, omega });
  const out = new RunOutput('pathological-tasks', args.optional('out'));
  args.checkUnknown();
  const describePlan = (t: TaskName) => `${t}: lengths ${plans[t].lengths.join(', ')}, SGD lr ${plans[t].lr}${plans[t].schedule === 'cosine' ? ' (cosine decay)' : ''}, up to ${plans[t].steps} steps`;
  console.log(`pathological-tasks: tanh RNN, hidden ${o.hidden}, momentum ${o.momentum}, batch ${o.batch}; ${settings.join(' / ')} (clipByGlobalNorm(${threshold})${omega > 0 ? `, Ω weight ${omega}` : ''}); ${seeds} seeds.\n${tasks.map(describePlan).join('\n')}\n`);
  const total = tasks.reduce((n, t) => n + plans[t].lengths.length, 0) * seeds * settings.length;
  const progress = new Progress('runs', total);
  const results: RunResult[] = [];
  for (const task of tasks)
    for (const length of plans[task].lengths)
      for (let seed = 1; seed <= seeds; seed++)
        for (const setting of settings) {
          const r = trainOne(task, length, seed, setting, trainFor(task));
          results.push(r);
          progress.update(results.length, { task, length, setting, loss: r.losses[r.losses.length - 1]!, '‖g‖': r.lastGradNorm, 'test error': r.finalError });
        }
  const rows: (string | number)[][] = [];
  for (const task of tasks)
    for (const length of plans[task].lengths) {
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
  const rate = (task: TaskName, setting: Setting) => plans[task].lengths.map((L) => results.filter((r) => r.task === task && r.length === L && r.setting === setting && r.success).length / seeds);
  out.write('success.svg', lineChart(tasks.flatMap((task) => settings.map((st) => ({ name: `${task}, ${st} (${heads[st]})`, x: plans[task].lengths, y: rate(task, st), markers: true, dashed: st === 'SGD' }))), { title: 'Success rate (< 1% test error) by sequence length', xLabel: 'sequence length', yLabel: 'fraction of seeds that succeed', yRange: [-0.05, 1.05] }));
  out.write('results.md', `# pathological-tasks\n\ntanh RNN, hidden ${o.hidden}; SGD momentum ${o.momentum}, batch ${o.batch}; stopping at success; ${seeds} seeds; ${tasks.map(describePlan).join('; ')}; ${settings.join(' / ')}: clipByGlobalNorm(${threshold}) against no clipping${omega > 0 ? `, and clipping plus Ω with weight ${omega}` : ''}.\n\n${table}\n![success](success.svg)\n`);
  out.writeJsonl('metrics.jsonl', results.map(({ losses, ...r }) => ({ ...r, steps: losses.length, lastLoss: losses[losses.length - 1] })));
  out.printPaths();
}
