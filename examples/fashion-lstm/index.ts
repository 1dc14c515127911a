/**
 * fashion-lstm — the experiment of the Keras gradient-clipping tutorials on
 * real data: an LSTM(10) reads each Fashion-MNIST image as 28 time steps of
 * 28 pixels, a Dense(10) classifies the last hidden state; batch 32, 500
 * steps per epoch. From the same initial weights and batches it trains with
 * no clipping, clipByValue (Keras `clipvalue`), clipByNorm (per tensor, Keras
 * `clipnorm`) and clipByGlobalNorm (Keras `global_clipnorm`), under a stable
 * optimizer (Adam 1e-3, Keras's ε convention) and an unstable one (plain SGD
 * at a learning rate where the unclipped run diverges on this data).
 */
import type { Tensor } from '@tapegrad/autograd';
import { Generator, crossEntropy, narrow, noGrad, select, tensor } from '@tapegrad/autograd';
import { DataLoader, LSTM, Linear, Module, RunningMean, TensorDataset, accuracy, confusionMatrix, init } from '@tapegrad/nn';
import type { GradientTransformation } from '@tapegrad/optim';
import { Adam, GradientMonitor, SGD, clipByGlobalNorm, clipByNorm, clipByValue } from '@tapegrad/optim';
import { PALETTE, lineChart } from '@tapegrad/optim/plot';
import type { Args } from '../lib/args.js';
import type { FashionData, ImageSet } from '../lib/fashion.js';
import { FASHION_CLASSES, fromIdx, fromPackage } from '../lib/fashion.js';
import { RunOutput, markdownTable } from '../lib/output.js';
import { Progress } from '../lib/progress.js';
import { imageGrid } from './images.js';

/** Keras's `Sequential([LSTM(10), Dense(10)])` on [batch, 28, 28]: LSTM with Keras's initialisation, a glorot-uniform head. */
class FashionLSTM extends Module {
  readonly rnn: LSTM;
  readonly head: Linear;
  constructor(hidden: number, gen: Generator) {
    super();
    this.rnn = new LSTM(28, hidden, { batchFirst: true, init: 'keras', generator: gen });
    this.head = new Linear(hidden, 10, { generator: gen });
    init.xavierUniform(this.head.weight, 1, { generator: gen });
    this.head.bias!.data.fill(0);
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(select(this.rnn.forward(x).out, 1, -1));
  }
}

interface OptimizerSetting {
  key: 'stable' | 'unstable';
  label: string;
  make(params: [string, Tensor][], clip: GradientTransformation | null): Adam | SGD;
}

interface RunResult {
  optimizer: string;
  clip: string;
  testAccuracy: number;
  testLoss: number;
  finalTrainLoss: number;
  fractionClipped: number;
  nonFinite: number;
  seconds: number;
  losses: number[];
  norms: number[];
  epochs: { epoch: number; testLoss: number; testAccuracy: number }[];
  perClass: number[];
  predictions: Int32Array;
}

/** Test loss and accuracy over the whole held-out set, in chunks; also the predicted classes. */
function evaluate(model: FashionLSTM, x: Tensor, y: Tensor): { loss: number; accuracy: number; predictions: Int32Array; perClass: number[] } {
  const n = x.shape[0]!;
  const loss = new RunningMean(), acc = new RunningMean();
  const predictions = new Int32Array(n);
  const confusion = new Float64Array(100);
  noGrad(() => {
    for (let start = 0; start < n; start += 2000) {
      const len = Math.min(2000, n - start);
      const xb = narrow(x, 0, start, len), yb = narrow(y, 0, start, len);
      const logits = model.forward(xb);
      const l = crossEntropy(logits, yb).item();
      // A diverged model gives NaN logits: count it as chance, report the loss as NaN.
      loss.add(Number.isFinite(l) ? l : 1e9, len);
      acc.add(accuracy(logits, yb), len);
      const m = confusionMatrix(logits, yb);
      m.data.forEach((v, i) => (confusion[i] += v));
      for (let b = 0; b < len; b++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (logits.data[b * 10 + c]! > logits.data[b * 10 + best]!) best = c;
        predictions[start + b] = best;
      }
    }
  });
  const perClass = Array.from({ length: 10 }, (_, c) => confusion[c * 10 + c]! / Math.max(1, confusion.slice(c * 10, c * 10 + 10).reduce((a, b) => a + b, 0)));
  return { loss: loss.mean >= 1e9 ? NaN : loss.mean, accuracy: acc.mean, predictions, perClass };
}

const asTensors = (s: ImageSet) => ({ x: tensor(s.x, { shape: [s.n, 28, 28] }), y: tensor(s.y, { shape: [s.n] }) });

export const usage = `npm run example -- fashion-lstm [--epochs 10] [--steps-per-epoch 500] [--batch 32] [--hidden 10] [--unstable-lr 16] [--momentum 0] [--value 0.01] [--norm 0.1]
  [--optimizers stable,unstable] [--seed 0] [--dir IDX_DIR] [--out runs/fashion-lstm]
  The defaults are the tutorials' full run (10 epochs, about 3 minutes on 2 cores); --dir reads the original IDX files instead of the npm package.`;

export async function run(args: Args): Promise<void> {
  const o = {
    epochs: args.number('epochs', 10),
    stepsPerEpoch: args.number('steps-per-epoch', 500),
    batch: args.number('batch', 32),
    hidden: args.number('hidden', 10),
    unstableLr: args.number('unstable-lr', 16),
    momentum: args.number('momentum', 0),
    value: args.number('value', 0.01),
    norm: args.number('norm', 0.1),
    seed: args.number('seed', 0),
  };
  const wanted = args.string('optimizers', 'stable,unstable').split(',');
  const dir = args.optional('dir');
  const out = new RunOutput('fashion-lstm', args.optional('out'));
  args.checkUnknown();
  const settings: OptimizerSetting[] = [
    { key: 'stable', label: 'Adam lr 1e-3', make: (p, clip) => new Adam(p, { lr: 1e-3, eps: 1e-7, epsilonPlacement: 'keras', clip }) },
    { key: 'unstable', label: `SGD lr ${o.unstableLr}${o.momentum ? `, momentum ${o.momentum}` : ''}`, make: (p, clip) => new SGD(p, { lr: o.unstableLr, momentum: o.momentum, clip }) },
  ];
  for (const w of wanted) if (!settings.some((s) => s.key === w)) throw new Error(`unknown optimizer setting '${w}'; choose from stable, unstable`);
  const clips: [string, () => GradientTransformation | null][] = [
    ['no clipping', () => null],
    [`clipByValue(${o.value}) (Keras clipvalue)`, () => clipByValue(o.value)],
    [`clipByNorm(${o.norm}) (Keras clipnorm)`, () => clipByNorm(o.norm)],
    [`clipByGlobalNorm(${o.norm}) (Keras global_clipnorm)`, () => clipByGlobalNorm(o.norm, { eps: 0 })],
  ];
  const t0 = performance.now();
  const data: FashionData = dir ? fromIdx(dir) : fromPackage(o.seed);
  const train = asTensors(data.train), test = asTensors(data.test);
  console.log(`fashion-lstm: ${data.source} (${((performance.now() - t0) / 1000).toFixed(1)} s to load).`);
  console.log(`LSTM(${o.hidden}) over 28 rows of 28 pixels → Dense(10); batch ${o.batch}, ${o.stepsPerEpoch} steps per epoch, ${o.epochs} epochs; the same initial weights and batches for every run.\n`);
  const results: RunResult[] = [];
  for (const setting of settings.filter((s) => wanted.includes(s.key))) {
    for (const [clipName, makeClip] of clips) {
      const model = new FashionLSTM(o.hidden, new Generator(o.seed + 1));
      const opt = setting.make(model.namedParameters(), makeClip());
      const monitor = new GradientMonitor().attach(opt);
      const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: o.batch, shuffle: true, dropLast: true, generator: new Generator(o.seed + 2) });
      const progress = new Progress(`${setting.label}, ${clipName}`.padEnd(52), o.epochs * o.stepsPerEpoch);
      const losses: number[] = [];
      const epochs: RunResult['epochs'] = [];
      const start = performance.now();
      let last = evaluate(model, test.x, test.y);
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        let s = 0;
        for (const [xb, yb] of loader as Iterable<Tensor[]>) {
          if (s++ === o.stepsPerEpoch) break;
          opt.zeroGrad();
          const loss = crossEntropy(model.forward(xb!), yb!);
          loss.backward();
          const report = opt.step(loss);
          losses.push(report.loss!);
          progress.update(losses.length, { loss: report.loss!, '‖g‖': report.normBefore });
        }
        last = evaluate(model, test.x, test.y);
        epochs.push({ epoch, testLoss: last.loss, testAccuracy: last.accuracy });
      }
      const tail = losses.slice(-Math.max(1, Math.floor(o.stepsPerEpoch / 5)));
      results.push({
        optimizer: setting.label,
        clip: clipName,
        testAccuracy: last.accuracy,
        testLoss: last.loss,
        finalTrainLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
        fractionClipped: monitor.summary().fractionClipped,
        nonFinite: losses.filter((l) => !Number.isFinite(l)).length,
        seconds: (performance.now() - start) / 1000,
        losses,
        norms: monitor.rows().map((r) => r.normBefore),
        epochs,
        perClass: last.perClass,
        predictions: last.predictions,
      });
    }
  }
  report(out, o, data, test.y, results, settings.filter((s) => wanted.includes(s.key)));
}

/** Moving average over a window, skipping non-finite values (NaN where a whole window is non-finite). */
function smooth(v: readonly number[], w: number): number[] {
  return v.map((_, i) => {
    const win = v.slice(Math.max(0, i - w + 1), i + 1).filter(Number.isFinite);
    return win.length ? win.reduce((a, b) => a + b, 0) / win.length : NaN;
  });
}

function report(out: RunOutput, o: { epochs: number; stepsPerEpoch: number; batch: number; hidden: number }, data: FashionData, testY: Tensor, results: RunResult[], settings: OptimizerSetting[]): void {
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'NaN');
  const rows = results.map((r) => [r.optimizer, r.clip, pct(r.testAccuracy), Number.isFinite(r.testLoss) ? r.testLoss : 'diverged', Number.isFinite(r.finalTrainLoss) ? r.finalTrainLoss : 'diverged', pct(r.fractionClipped), r.nonFinite, r.seconds]);
  const table = markdownTable(['optimizer', 'clipping', 'test accuracy', 'test loss', 'train loss (last 20% of an epoch)', 'steps clipped', 'non-finite steps', 'time (s)'], rows);
  const perClass = markdownTable(['class', ...results.map((r) => `${r.optimizer}, ${r.clip.split(' (')[0]}`)], FASHION_CLASSES.map((c, k) => [c, ...results.map((r) => pct(r.perClass[k]!))]));
  console.log(`\n${table}\nPer-class test accuracy:\n${perClass}`);
  const charts: string[] = [];
  for (const s of settings) {
    const runs = results.filter((r) => r.optimizer === s.label);
    const steps = runs[0]!.losses.map((_, i) => i + 1);
    const series = (pick: (r: RunResult) => number[]) => runs.map((r, i) => ({ name: r.clip, x: steps, y: pick(r), color: PALETTE[i]!, dashed: i === 0 }));
    const finite = runs.flatMap((r) => smooth(r.losses, 25)).filter((v) => Number.isFinite(v) && v > 0);
    // A log axis only when some run's loss spans orders of magnitude (a divergence); otherwise the curves need the room.
    const logY = Math.max(...finite) / Math.min(...finite) > 20;
    charts.push(out.write(`loss-${s.key}.svg`, lineChart(series((r) => smooth(r.losses, 25)), { title: `Training loss (25-step average), ${s.label}`, xLabel: 'step', yLabel: 'cross-entropy', logY, hLines: [{ y: Math.log(10), label: 'chance (ln 10)' }] })));
    charts.push(out.write(`grad-norm-${s.key}.svg`, lineChart(series((r) => smooth(r.norms, 25)), { title: `Gradient norm before clipping (25-step average), ${s.label}`, xLabel: 'step', yLabel: '‖g‖₂', logY: true })));
  }
  const best = results.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));
  out.write('predictions.svg', imageGrid(data.test, 24, best.predictions, FASHION_CLASSES, `24 test images, predicted by ${best.optimizer}, ${best.clip.split(' (')[0]} (wrong ones in red)`));
  out.write('results.md', `# fashion-lstm\n\n${data.source}. LSTM(${o.hidden}) with Keras's initialisation over 28 rows of 28 pixels → Dense(10); batch ${o.batch}, ${o.stepsPerEpoch} steps per epoch, ${o.epochs} epochs; every run starts from the same weights and sees the same batches. Test metrics on all ${testY.size} held-out images.\n\n${table}\n## Per-class test accuracy\n\n${perClass}\n${settings.map((s) => `![loss](loss-${s.key}.svg)\n![gradient norm](grad-norm-${s.key}.svg)\n`).join('')}![predictions](predictions.svg)\n`);
  out.writeJsonl('metrics.jsonl', results.flatMap((r) => r.epochs.map((e) => ({ optimizer: r.optimizer, clip: r.clip, ...e, fractionClipped: r.fractionClipped, nonFinite: r.nonFinite, seconds: r.seconds }))));
  out.printPaths();
}
