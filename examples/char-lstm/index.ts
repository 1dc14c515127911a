/**
 * char-lstm — a character-level LSTM language model: Embedding → LSTM →
 * Linear over the vocabulary at every step, trained with Adam and
 * global-norm clipping. Reports perplexity per epoch and the gradient norms,
 * samples text, and saves a checkpoint (safetensors weights + optimizer state)
 * after every epoch; --resume continues the same loss curve.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tapegrad/autograd';
import { Generator, crossEntropy, noGrad, reshape, tensor } from '@tapegrad/autograd';
import { Embedding, LSTM, Linear, Module, loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@tapegrad/nn';
import type { OptimizerStateDict } from '@tapegrad/optim';
import { Adam, GradientMonitor, clipByGlobalNorm } from '@tapegrad/optim';
import type { Args } from '../lib/args.js';
import { RunOutput, markdownTable } from '../lib/output.js';
import { lineChart } from '@tapegrad/optim/plot';
import { Progress } from '../lib/progress.js';
import { grammarCorpus } from './corpus.js';

export class CharModel extends Module {
  readonly embed: Embedding;
  readonly rnn: LSTM;
  readonly head: Linear;
  constructor(vocab: number, hidden: number, gen: Generator) {
    super();
    this.embed = new Embedding(vocab, 16, { generator: gen });
    this.rnn = new LSTM(16, hidden, { batchFirst: true, generator: gen });
    this.head = new Linear(hidden, vocab, { generator: gen });
  }
  /** Logits [B, T, vocab] and the final state, from ids [B, T]. */
  forward(ids: Tensor, state: { h0?: Tensor | null; c0?: Tensor | null } = {}): { logits: Tensor; hn: Tensor; cn: Tensor } {
    const { out, hn, cn } = this.rnn.forward(this.embed.forward(ids), state);
    return { logits: this.head.forward(out), hn, cn: cn! };
  }
}

/** Text ↔ ids over the sorted set of characters. */
export class Vocabulary {
  readonly chars: string[];
  private readonly index: Map<string, number>;
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }
  encode(s: string): Int32Array {
    return Int32Array.from([...s], (c) => {
      const i = this.index.get(c);
      if (i === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return i;
    });
  }
}

/** The batch of step `s`: random windows, a pure function of (seed, s) so a resumed run sees the same data. */
function batchAt(ids: Int32Array, s: number, seed: number, B: number, T: number): { x: Tensor; y: Tensor } {
  const g = new Generator(seed * 1_000_003 + s);
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const o = g.integer(0, ids.length - T - 1);
    x.set(ids.subarray(o, o + T), b * T);
    y.set(ids.subarray(o + 1, o + T + 1), b * T);
  }
  return { x: tensor(x, { shape: [B, T] }), y: tensor(y, { shape: [B * T] }) };
}

/** Mean cross-entropy (nats per character) over held-out windows. */
function evaluate(model: CharModel, ids: Int32Array, T: number): number {
  return noGrad(() => {
    const windows = Math.max(1, Math.min(32, Math.floor((ids.length - 1) / T)));
    const x = new Int32Array(windows * T), y = new Int32Array(windows * T);
    for (let w = 0; w < windows; w++) {
      x.set(ids.subarray(w * T, w * T + T), w * T);
      y.set(ids.subarray(w * T + 1, w * T + T + 1), w * T);
    }
    const { logits } = model.forward(tensor(x, { shape: [windows, T] }));
    return crossEntropy(reshape(logits, [windows * T, -1]), tensor(y)).item();
  });
}

/** Samples `n` characters after `prompt` at the given temperature. */
export function sample(model: CharModel, vocab: Vocabulary, prompt: string, n: number, temperature: number, gen: Generator): string {
  return noGrad(() => {
    let state: { h0?: Tensor; c0?: Tensor } = {};
    let ids = vocab.encode(prompt);
    let text = prompt;
    for (let k = 0; k < n; k++) {
      const { logits, hn, cn } = model.forward(tensor(ids, { shape: [1, ids.length] }), state);
      state = { h0: hn, c0: cn };
      const V = vocab.chars.length;
      const last = Array.from(logits.data.subarray(logits.size - V)).map((v) => v / temperature);
      const m = Math.max(...last);
      const p = last.map((v) => Math.exp(v - m));
      const z = p.reduce((a, b) => a + b, 0);
      let r = gen.random() * z, next = V - 1;
      for (let i = 0; i < V; i++) if ((r -= p[i]!) <= 0) { next = i; break; }
      text += vocab.chars[next]!;
      ids = Int32Array.of(next);
    }
    return text;
  });
}

interface TrainState {
  epoch: number;
  history: { epoch: number; trainLoss: number; valLoss: number; perplexity: number; meanGradNorm: number; fractionClipped: number }[];
  stepLosses: number[];
}

export const usage = `npm run example -- char-lstm [--text PATH] [--epochs 4] [--steps-per-epoch 60] [--hidden 64] [--seq 40] [--batch 16]
  [--lr 0.005] [--clip 1] [--seed 1] [--sample 200] [--temperature 0.8] [--resume] [--out runs/char-lstm]`;

export async function run(args: Args): Promise<void> {
  const textPath = args.optional('text');
  const epochs = args.number('epochs', 4), stepsPerEpoch = args.number('steps-per-epoch', 60);
  const hidden = args.number('hidden', 64), T = args.number('seq', 40), B = args.number('batch', 16);
  const lr = args.number('lr', 0.005), clip = args.number('clip', 1), seed = args.number('seed', 1);
  const sampleLen = args.number('sample', 200), temperature = args.number('temperature', 0.8);
  const resume = args.flag('resume');
  const out = new RunOutput('char-lstm', args.optional('out'));
  args.checkUnknown();
  if (textPath && !existsSync(textPath)) throw new Error(`--text: file not found: ${textPath}`);
  const text = textPath ? readFileSync(textPath, 'utf8') : grammarCorpus(30_000, seed);
  if (text.length < 10 * (T + 1)) throw new Error(`the text has ${text.length} characters; it needs at least ${10 * (T + 1)} for windows of ${T}`);
  const vocab = new Vocabulary(text);
  const all = vocab.encode(text);
  const split = Math.floor(all.length * 0.9);
  const train = all.subarray(0, split), val = all.subarray(split);
  const model = new CharModel(vocab.chars.length, hidden, new Generator(seed));
  const opt = new Adam(model.namedParameters(), { lr, clip: clipByGlobalNorm(clip) });
  const weightsPath = join(out.dir, 'checkpoint.safetensors'), statePath = join(out.dir, 'checkpoint.json');
  let st: TrainState = { epoch: 0, history: [], stepLosses: [] };
  if (resume) {
    if (!existsSync(weightsPath) || !existsSync(statePath)) throw new Error(`--resume: no checkpoint in ${out.dir} (expected checkpoint.safetensors and checkpoint.json)`);
    loadCheckpoint(model, weightsPath);
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { train: TrainState; optimizer: OptimizerStateDict; vocab: string[] };
    if (saved.vocab.join('') !== vocab.chars.join('')) throw new Error('--resume: the checkpoint was trained on a different text (vocabulary differs)');
    opt.loadStateDict(saved.optimizer);
    st = saved.train;
    console.log(`resumed from epoch ${st.epoch} (${st.stepLosses.length} steps) in ${out.dir}`);
  }
  console.log(`char-lstm: ${text.length} characters (${textPath ?? 'generated grammar corpus'}), vocabulary ${vocab.chars.length}; Embedding(16) → LSTM(${hidden}) → Linear; Adam lr ${lr}, clipByGlobalNorm(${clip}); ${epochs} epochs × ${stepsPerEpoch} steps of ${B}×${T}.\n`);
  for (let epoch = st.epoch + 1; epoch <= epochs; epoch++) {
    const monitor = new GradientMonitor().attach(opt);
    const progress = new Progress(`epoch ${epoch}/${epochs}`, stepsPerEpoch);
    let sum = 0;
    for (let k = 0; k < stepsPerEpoch; k++) {
      const s = (epoch - 1) * stepsPerEpoch + k;
      const { x, y } = batchAt(train, s, seed, B, T);
      opt.zeroGrad();
      const loss = crossEntropy(reshape(model.forward(x).logits, [B * T, -1]), y);
      loss.backward();
      const r = opt.step();
      sum += loss.item();
      st.stepLosses.push(loss.item());
      progress.update(k + 1, { loss: loss.item(), '‖g‖': r.groups[0]!.normBefore });
    }
    monitor.detach();
    const valLoss = evaluate(model, val, T);
    const summary = monitor.summary();
    const norms = monitor.rows().map((r) => r.normBefore);
    st.history.push({ epoch, trainLoss: sum / stepsPerEpoch, valLoss, perplexity: Math.exp(valLoss), meanGradNorm: norms.reduce((a, b) => a + b, 0) / norms.length, fractionClipped: summary.fractionClipped });
    st.epoch = epoch;
    console.log(`epoch ${epoch}: train loss ${(sum / stepsPerEpoch).toFixed(4)}, validation perplexity ${Math.exp(valLoss).toFixed(3)}, steps clipped ${(100 * summary.fractionClipped).toFixed(0)}%`);
    saveCheckpoint(model, weightsPath, { epoch: String(epoch) });
    writeFileAtomic(statePath, new TextEncoder().encode(JSON.stringify({ train: st, optimizer: opt.stateDict(), vocab: vocab.chars })));
  }
  const prompt = [...text.slice(0, 8)].join('');
  const sampled = sample(model, vocab, prompt, sampleLen, temperature, new Generator(seed + 1));
  console.log(`\nsample (temperature ${temperature}):\n${sampled}\n`);
  const table = markdownTable(['epoch', 'train loss', 'validation loss', 'validation perplexity', 'mean ‖g‖', 'steps clipped'], st.history.map((h) => [h.epoch, h.trainLoss, h.valLoss, h.perplexity, h.meanGradNorm, `${(100 * h.fractionClipped).toFixed(0)}%`]));
  console.log(table);
  out.write('loss.svg', lineChart([{ name: 'training loss per step', x: st.stepLosses.map((_, i) => i), y: st.stepLosses }], { title: 'char-lstm training loss', xLabel: 'step', yLabel: 'cross-entropy (nats/char)' }));
  out.write('perplexity.svg', lineChart([{ name: 'validation perplexity', x: st.history.map((h) => h.epoch), y: st.history.map((h) => h.perplexity), markers: true }], { title: 'Validation perplexity per epoch', xLabel: 'epoch', yLabel: 'perplexity' }));
  out.write('sample.txt', `${sampled}\n`);
  out.write('results.md', `# char-lstm\n\n${text.length} characters, vocabulary ${vocab.chars.length}; LSTM hidden ${hidden}; Adam lr ${lr}; clipByGlobalNorm(${clip}).\n\n${table}\nSample (temperature ${temperature}):\n\n> ${sampled.replace(/\n/g, ' ')}\n\n![loss](loss.svg)\n\n![perplexity](perplexity.svg)\n`);
  out.writeJsonl('metrics.jsonl', st.stepLosses.map((loss, step) => ({ step, loss })));
  out.printPaths();
}
