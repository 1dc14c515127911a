/**
 * The LSTM training steps of issue 3, built identically on both sides:
 * input I, hidden H, sequence S, batch B; LSTM → Linear(H→10) on the last
 * hidden state → softmax cross-entropy → global-norm clip at 1.0 → Adam.
 */
import * as tf from '@tensorflow/tfjs';
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';
import { Adam, clipByGlobalNorm } from '@tapegrad/optim';

export interface Workload {
  name: string;
  I: number;
  H: number;
  S: number;
  B: number;
}
export const W2: Workload = { name: 'W2', I: 28, H: 128, S: 28, B: 64 };
export const W3: Workload = { name: 'W3', I: 28, H: 64, S: 200, B: 16 };

/** A tapegrad training step for the workload; returns the step function and the parameters. */
export function tapegradStep(w: Workload): { step: () => number; params: T.Tensor[] } {
  const gen = new T.Generator(1);
  const lstm = new LSTM(w.I, w.H, { batchFirst: true, generator: gen });
  const head = new Linear(w.H, 10, { generator: gen });
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 1e-3, clip: clipByGlobalNorm(1) });
  const x = T.randn([w.B, w.S, w.I], { generator: gen });
  const y = T.randint(0, 10, [w.B], { generator: gen });
  const step = () => {
    opt.zeroGrad();
    const loss = T.crossEntropy(head.forward(T.select(lstm.forward(x).out, 1, -1)), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  return { step, params };
}

/** The same step in tfjs: tf.layers.lstm + dense, variableGrads, global-norm clip, Adam. */
export function tfjsStep(w: Workload): { step: () => number; dispose: () => void } {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: w.H, inputShape: [w.S, w.I] }));
  model.add(tf.layers.dense({ units: 10 }));
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([w.B, w.S, w.I]);
  const labels = tf.oneHot(tf.randomUniform([w.B], 0, 10, 'int32') as tf.Tensor1D, 10);
  const step = () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
      const scale = tf.minimum(1, tf.div(1, tf.add(norm, 1e-6)));
      opt.applyGradients(names.map((name) => ({ name, tensor: tf.mul(grads[name]!, scale) })));
      return value.dataSync()[0]!;
    });
    return loss;
  };
  return { step, dispose: () => { model.dispose(); opt.dispose(); x.dispose(); labels.dispose(); } };
}
