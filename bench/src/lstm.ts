/** Issue 3's W2/W3 training steps side by side, and issue 4's clip share of a W2 step. */
import * as T from '@tapegrad/autograd';
import { clipByGlobalNorm } from '@tapegrad/optim';
import { table, timeit, verdict } from './harness.js';
import { W2, W3, tapegradStep, tfjsStep } from './workloads.js';

export async function benchLstm(): Promise<void> {
  const rows: (string | number)[][] = [];
  let w2Ms = 0;
  let w2Params: T.Tensor[] = [];
  for (const w of [W2, W3]) {
    const ours = tapegradStep(w);
    const oursMs = timeit(ours.step, { warmup: 2, minMs: 3000, minReps: 5 });
    if (w === W2) {
      w2Ms = oursMs;
      w2Params = ours.params;
    }
    const theirs = tfjsStep(w);
    const theirsMs = timeit(theirs.step, { warmup: 1, minMs: 0, minReps: 3, maxReps: 3 });
    theirs.dispose();
    rows.push([`${w.name} (I${w.I} H${w.H} S${w.S} B${w.B})`, oursMs, theirsMs, theirsMs / oursMs, '≥ 3×', verdict(theirsMs / oursMs >= 3)]);
  }
  table('LSTM training step (ms/step; ratio = tfjs / tapegrad)', ['workload', 'tapegrad', 'tfjs-cpu', 'speed-up', 'target', ''], rows);

  // Clipping's share of a W2 step: the same clip the step uses, on W2's gradients.
  const clip = clipByGlobalNorm(1);
  const grads = w2Params.map((p) => T.randn([...p.shape]));
  const clipMs = timeit(() => clip.update(grads, null, w2Params), { minMs: 500 });
  table('Clipping inside a W2 step', ['clipByGlobalNorm(1) on W2 grads (ms)', 'W2 step (ms)', 'share', 'target', ''], [[clipMs, w2Ms, `${((100 * clipMs) / w2Ms).toFixed(2)}%`, '≤ 5%', verdict(clipMs / w2Ms <= 0.05)]]);
}
