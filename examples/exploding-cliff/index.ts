/**
 * exploding-cliff — Pascanu, Mikolov & Bengio (2013), section 3: the one-unit
 * recurrent net x_t = w·σ(x_{t−1}) + b, run for T steps from x_0, with loss
 * (x_T − target)². Its loss surface over (w, b) has a cliff where the
 * dynamics cross a bifurcation; there the gradient explodes and one SGD step
 * can throw the parameters far away. Norm clipping bounds that step.
 */
import { noGrad, tensor } from '@tapegrad/autograd';
import type { Args } from '../lib/args.js';
import type { Setup } from '../lib/cliff.js';
import { lossAt } from '../lib/cliff.js';
import { RunOutput, markdownTable } from '../lib/output.js';
import { heatmap, lineChart } from '@tapegrad/optim/plot';
import { Progress } from '../lib/progress.js';

interface Trajectory {
  name: string;
  w: number[];
  b: number[];
  loss: number[];
  gradNorm: number[];
  stepLength: number[];
}

/** SGD on (w, b) with an optional global-norm clip of the 2-vector gradient. */
function descend(name: string, start: [number, number], s: Setup, lr: number, steps: number, threshold: number | null): Trajectory {
  const tr: Trajectory = { name, w: [start[0]], b: [start[1]], loss: [], gradNorm: [], stepLength: [] };
  const progress = new Progress(name.padEnd(16), steps);
  let [wv, bv] = start;
  for (let k = 0; k < steps; k++) {
    const w = tensor([wv], { dtype: 'float64', requiresGrad: true });
    const b = tensor([bv], { dtype: 'float64', requiresGrad: true });
    const loss = lossAt(w, b, s).sum();
    loss.backward();
    const gw = w.grad!.data[0]!, gb = b.grad!.data[0]!;
    const norm = Math.hypot(gw, gb);
    // Pascanu et al.'s Algorithm 1: if ‖g‖ > threshold, g ← threshold·g/‖g‖
    const scale = threshold !== null && norm > threshold ? threshold / norm : 1;
    const dw = -lr * scale * gw, db = -lr * scale * gb;
    wv += dw;
    bv += db;
    tr.loss.push(loss.item());
    tr.gradNorm.push(norm);
    tr.stepLength.push(Math.hypot(dw, db));
    tr.w.push(wv);
    tr.b.push(bv);
    progress.update(k + 1, { loss: loss.item(), '‖g‖': norm });
  }
  return tr;
}

export const usage = `npm run example -- exploding-cliff [--T 50] [--x0 0.5] [--target 0.7] [--lr 1] [--steps 60] [--threshold 1]
  [--w0 4.5] [--b0 -1] [--grid 120] [--wmin -2] [--wmax 9] [--bmin -6] [--bmax 3] [--out runs/exploding-cliff]`;

export async function run(args: Args): Promise<void> {
  const s: Setup = { T: args.number('T', 50), x0: args.number('x0', 0.5), target: args.number('target', 0.7) };
  const lr = args.number('lr', 1), steps = args.number('steps', 60), threshold = args.number('threshold', 1);
  const start: [number, number] = [args.number('w0', 4.5), args.number('b0', -1)];
  const G = args.number('grid', 120);
  const [wmin, wmax, bmin, bmax] = [args.number('wmin', -2), args.number('wmax', 9), args.number('bmin', -6), args.number('bmax', 3)];
  const out = new RunOutput('exploding-cliff', args.optional('out'));
  args.checkUnknown();
  console.log(`exploding-cliff: x_t = w·σ(x_{t−1}) + b, x_0 = ${s.x0}, T = ${s.T}, loss (x_T − ${s.target})²; SGD lr ${lr} from (w, b) = (${start.join(', ')})\n`);

  // The surface: every grid point at once, as one batched recurrence.
  const ws = Array.from({ length: G }, (_, i) => wmin + ((wmax - wmin) * i) / (G - 1));
  const bs = Array.from({ length: G }, (_, i) => bmin + ((bmax - bmin) * i) / (G - 1));
  const surface = noGrad(() => lossAt(tensor(Float64Array.from({ length: G * G }, (_, k) => ws[k % G]!)), tensor(Float64Array.from({ length: G * G }, (_, k) => bs[Math.floor(k / G)]!)), s));
  const grid = bs.map((_, r) => ws.map((__, c) => Math.log10(surface.data[r * G + c]! + 1e-12)));

  const plain = descend('SGD', start, s, lr, steps, null);
  const clipped = descend(`SGD + clip ${threshold}`, start, s, lr, steps, threshold);

  out.write(
    'cliff.svg',
    heatmap(grid, ws, bs, {
      title: 'Loss surface of the one-unit RNN, with SGD trajectories',
      xLabel: 'w (recurrent weight)',
      yLabel: 'b (bias)',
      colorLabel: 'log10 loss',
      overlay: [
        { name: 'SGD (no clipping)', x: plain.w, y: plain.b, color: '#ff4040' },
        { name: `SGD + norm clipping at ${threshold}`, x: clipped.w, y: clipped.b, color: '#ffffff' },
      ],
    }),
  );
  const it = Array.from({ length: steps }, (_, i) => i);
  out.write('loss.svg', lineChart([{ name: 'SGD', x: it, y: plain.loss }, { name: `SGD + clip ${threshold}`, x: it, y: clipped.loss }], { title: 'Loss along the trajectories', xLabel: 'SGD step', yLabel: 'loss', logY: true }));
  out.write('grad-norm.svg', lineChart([{ name: 'SGD', x: it, y: plain.gradNorm }, { name: `SGD + clip ${threshold}`, x: it, y: clipped.gradNorm }], { title: 'Gradient norm ‖(∂L/∂w, ∂L/∂b)‖ at each step', xLabel: 'SGD step', yLabel: '‖g‖', logY: true, hLines: [{ y: threshold, label: `threshold ${threshold}` }] }));
  const summary = (t: Trajectory) => [t.name, t.loss[t.loss.length - 1]!, Math.max(...t.gradNorm), Math.max(...t.stepLength), t.gradNorm.filter((g) => g > threshold).length, `(${t.w[t.w.length - 1]!.toFixed(2)}, ${t.b[t.b.length - 1]!.toFixed(2)})`];
  const table = markdownTable(['run', 'final loss', 'largest ‖g‖', 'longest step', `steps with ‖g‖ > ${threshold}`, 'final (w, b)'], [summary(plain), summary(clipped)]);
  console.log(`\n${table}`);
  out.write('results.md', `# exploding-cliff\n\nx_t = w·σ(x_{t−1}) + b, x_0 = ${s.x0}, T = ${s.T}, loss (x_T − ${s.target})²; SGD lr ${lr}, ${steps} steps from (w, b) = (${start.join(', ')}).\n\n${table}\n![cliff](cliff.svg)\n\n![loss](loss.svg)\n\n![gradient norm](grad-norm.svg)\n`);
  out.writeJsonl('metrics.jsonl', [plain, clipped].flatMap((t) => t.loss.map((loss, step) => ({ run: t.name, step, w: t.w[step], b: t.b[step], loss, gradNorm: t.gradNorm[step], stepLength: t.stepLength[step] }))));
  out.printPaths();
}
