/**
 * Issue 4: clipByGlobalNorm over 10M float32 parameters in 20 tensors,
 * against this machine's memory bandwidth measured in the same run. The
 * bound is two reads and one write of the 40 MB (norm pass + scale pass).
 */
import * as tf from '@tensorflow/tfjs';
import { Tensor } from '@tapegrad/autograd';
import { clipByGlobalNorm } from '@tapegrad/optim';
import { table, timeit, verdict } from './harness.js';

export async function benchClip(): Promise<void> {
  const count = 20, per = 500_000;
  const grads = Array.from({ length: count }, (_, k) => new Tensor(Float32Array.from({ length: per }, (_, i) => Math.sin(i + k)), [per]));
  const bytes = count * per * 4;
  // Bandwidth: copying 40 MB reads 40 MB and writes 40 MB.
  const src = new Float32Array(count * per).fill(1), dst = new Float32Array(count * per);
  const copyMs = timeit(() => dst.set(src), { minMs: 1000 });
  const gbps = (2 * bytes) / (copyMs / 1000) / 1e9;
  const boundMs = ((3 * bytes) / (gbps * 1e9)) * 1000;
  // A threshold far above the norm still runs both passes (scale 1 skips the multiply), so use one that clips.
  const clip = clipByGlobalNorm(1e-3);
  const oursMs = timeit(() => clip.update(grads, null, grads), { minMs: 1500 });
  const naiveMs = timeit(() => {
    let sq = 0;
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) sq += d[i]! * d[i]!;
    }
    const s = Math.min(1, 1e-3 / (Math.sqrt(sq) + 1e-6));
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! * s;
    }
  }, { minMs: 1500 });
  const tg = grads.map((g) => tf.tensor1d(g.data as Float32Array));
  const tfMs = timeit(() => tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(tg.map((g) => tf.sum(tf.square(g)))));
    const s = tf.minimum(1, tf.div(1e-3, tf.add(norm, 1e-6)));
    tg.forEach((g) => tf.mul(g, s));
  }), { minMs: 1500, minReps: 3 });
  tg.forEach((t) => t.dispose());
  table(
    `clipByGlobalNorm over 10M float32 in 20 tensors (memory bandwidth ${gbps.toFixed(1)} GB/s; bound = 2 reads + 1 write of 40 MB = ${boundMs.toFixed(1)} ms)`,
    ['implementation', 'ms', '× bound', 'target', ''],
    [
      ['tapegrad clipByGlobalNorm', oursMs, oursMs / boundMs, '≤ 2.5×', verdict(oursMs / boundMs <= 2.5)],
      ['plain-JS two-pass loop', naiveMs, naiveMs / boundMs, '', ''],
      ['tfjs-cpu ops', tfMs, tfMs / boundMs, '', ''],
    ],
  );
}
