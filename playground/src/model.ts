/**
 * What the worker trains: a recurrent classifier/regressor for the sequence
 * tasks, or the one-unit net of Pascanu et al. for the cliff; the clipping
 * rules by name; the batch of a step (a pure function of seed and step, so a
 * reset with the same seed replays the same run).
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { GRU, LSTM, Linear, Module, Parameter, RNN } from '@tapegrad/nn';
import type { RecurrentLayer } from '@tapegrad/nn';
import type { GradientTransformation } from '@tapegrad/optim';
import { adaptiveGradClip, autoClip, clipByGlobalNorm, clipByNorm, clipByValue, zClip } from '@tapegrad/optim';
import { lossAt } from '../../examples/lib/cliff.js';
import { addition, temporalOrder } from '../../examples/lib/tasks.js';
import type { CellName, RuleName, RunConfig, TaskName } from './protocol.js';

/** Every rule of the page, built from its threshold; the shadows are all the others. */
export const RULES: Record<Exclude<RuleName, 'none'>, (threshold: number) => GradientTransformation> = {
  clipByValue: (t) => clipByValue(t),
  clipByNorm: (t) => clipByNorm(t),
  clipByGlobalNorm: (t) => clipByGlobalNorm(t),
  adaptiveGradClip: (t) => adaptiveGradClip(t),
  autoClip: (t) => autoClip({ percentile: Math.min(100, Math.max(1, t)), history: 1000 }),
  zClip: (t) => zClip({ zThreshold: t }),
};

/** A rule by name, or null for none. */
export function ruleOf(name: RuleName, threshold: number): GradientTransformation | null {
  return name === 'none' ? null : RULES[name](threshold);
}

/** recurrent layer → last hidden state → Linear. */
export class SequenceNet extends Module {
  readonly rnn: RecurrentLayer;
  readonly head: Linear;
  constructor(cell: CellName, inputs: number, hidden: number, outputs: number, gen: T.Generator) {
    super();
    const o = { batchFirst: true, generator: gen };
    this.rnn = cell === 'lstm' ? new LSTM(inputs, hidden, o) : cell === 'gru' ? new GRU(inputs, hidden, o) : new RNN(inputs, hidden, o);
    this.head = new Linear(hidden, outputs, { generator: gen });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(T.select(this.rnn.forward(x).out, 1, -1));
  }
  /** ‖dL/dh_t‖ for every t of one batch: the vanishing/exploding profile. */
  profile(x: Tensor, loss: (out: Tensor) => Tensor): number[] {
    const { out, states } = this.rnn.forward(x, {}, { keepStates: true });
    const l = loss(this.head.forward(T.select(out, 1, -1)));
    const hs = states![0]!;
    const grads = T.gradients(l, hs, { allowUnused: true, materializeGrads: true });
    return grads.map((g) => Math.sqrt(Array.from(g.data).reduce((s, v) => s + v * v, 0)));
  }
}

/** Pascanu's one-unit net: parameters w, b; x_T after T steps from 0.5, loss (x_T − 0.7)². */
export class CliffNet extends Module {
  readonly w = new Parameter(Float64Array.of(4.5), [1]);
  readonly b = new Parameter(Float64Array.of(-1), [1]);
  constructor(readonly T_: number) {
    super();
  }
  forward(): Tensor {
    return T.sum(lossAt(this.w, this.b, { T: this.T_, x0: 0.5, target: 0.7 }));
  }
}

/** The noisy sine forecast: from `length` samples of sin(ωt + φ) + noise, predict the next clean value. */
export function sine(batch: number, length: number, gen: T.Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(batch * length), y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const w = 0.2 + 0.3 * gen.random(), phi = 2 * Math.PI * gen.random();
    for (let t = 0; t < length; t++) x[b * length + t] = Math.sin(w * t + phi) + 0.1 * gen.normal();
    y[b] = Math.sin(w * length + phi);
  }
  return { x: T.tensor(x, { shape: [batch, length, 1] }), y: T.tensor(y, { shape: [batch, 1] }) };
}

/** Shape and loss of each sequence task. */
export const TASKS: Record<Exclude<TaskName, 'cliff'>, { inputs: number; outputs: number; batch: (b: number, len: number, g: T.Generator) => { x: Tensor; y: Tensor }; loss: (out: Tensor, y: Tensor) => Tensor }> = {
  'temporal-order': { inputs: 8, outputs: 4, batch: temporalOrder, loss: (o, y) => T.crossEntropy(o, y) },
  addition: { inputs: 2, outputs: 1, batch: addition, loss: (o, y) => T.mseLoss(o, y) },
  sine: { inputs: 1, outputs: 1, batch: sine, loss: (o, y) => T.mseLoss(o, y) },
};

/** The batch of step `step` of a run: the same for the same seed, whatever happened before. */
export function batchAt(config: RunConfig, step: number): { x: Tensor; y: Tensor } {
  const task = TASKS[config.task as Exclude<TaskName, 'cliff'>];
  return task.batch(32, config.length, new T.Generator(config.seed * 1_000_003 + step));
}
