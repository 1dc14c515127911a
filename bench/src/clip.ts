/**
 * Issue 4 / issue 9's W4: clipByGlobalNorm over 10M float32 parameters in 20
 * tensors, against this machine's memory bandwidth measured in the same run.
 * The bound is two reads and one write of the 40 MB (norm pass + scale pass).
 * Two kinds of gradients: fresh JS arrays (what backward allocates after the
 * default zeroGrad, which sets gradients to null), and gradients kept across
 * steps by zeroGrad({ setToNone: false }), which the WebAssembly backend
 * keeps in its memory, where both passes run in place on all threads.
 */
import * as tf from '@tensorflow/tfjs';
import { Tensor, getBackend, getNumThreads, setNumThreads } from '@tapegrad/autograd';
import { SGD, clipByGlobalNorm } from '@tapegrad/optim';
import { table, timeClip, timeit, verdict } from './harness.js';

export async function benchClip(): Promise<void> {
  const count = 20, per = 500_000;
  const grads = Array.from({ length: count }, (_, k) => new Tensor(Float32Array.from({ length: per }, (_, i) => Math.sin(i + k)), [per]));
  const bytes = count * per * 4;
  // Bandwidth: copying 40 MB reads 40 MB and writes 40 MB.
  const src = new Float32Array(count * per).fill(1), dst = new Float32Array(count * per);
  const copyMs = timeit(() => dst.set(src), { minMs: 1000 });
  const gbps = (2 * bytes) / (copyMs / 1000) / 1e9;
  const boundMs = ((3 * bytes) / (gbps * 1e9)) * 1000;
  // A threshold far below the norm, and the gradients restored before each call: both passes run every time.
  const clip = clipByGlobalNorm(1e-3);
  const pristine = grads.map((g) => (g.data as Float32Array).slice());
  const oursMs = timeClip(clip, grads, null, pristine, 1500);
  // Kept gradients: parameters whose gradients a zeroGrad({ setToNone: false }) zeroed in place (and, on wasm, moved into its memory).
  const params = grads.map(() => new Tensor(new Float32Array(per), [per], true));
  params.forEach((p, k) => (p.grad = new Tensor(grads[k]!.data.slice(), [per])));
  new SGD(params, { lr: 0 }).zeroGrad({ setToNone: false });
  params.forEach((p, k) => p.grad!.data.set(grads[k]!.data));
  const kept = params.map((p) => p.grad!);
  const resident = kept.every((g) => g.data.buffer instanceof SharedArrayBuffer);
  const threads = getNumThreads();
  const keptMs = timeClip(clip, kept, params, pristine, 1500);
  setNumThreads(1);
  const keptOneMs = timeClip(clip, kept, params, pristine, 1500);
  setNumThreads(threads);
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
      ['tapegrad, fresh gradients (JS arrays)', oursMs, oursMs / boundMs, '≤ 2.5×', verdict(oursMs / boundMs <= 2.5)],
      [`tapegrad, kept gradients (${resident ? 'in WebAssembly memory' : `JS arrays: ${getBackend()} backend`}), ${threads} thread${threads > 1 ? 's' : ''}`, keptMs, keptMs / boundMs, '≤ 1.3×', verdict(keptMs / boundMs <= 1.3)],
      [`tapegrad, kept gradients, 1 thread`, keptOneMs, keptOneMs / boundMs, '', ''],
      ['plain-JS two-pass loop', naiveMs, naiveMs / boundMs, '', ''],
      ['tfjs-cpu ops', tfMs, tfMs / boundMs, '', ''],
    ],
  );
}
