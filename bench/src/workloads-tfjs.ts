/** tfjs's side of the workloads in workloads.ts, built identically. */
import * as tf from '@tensorflow/tfjs';
import type { Workload } from './workloads.js';

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
