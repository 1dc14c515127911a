/** Issue 3's W2/W3 training steps side by side (one thread each, and tapegrad on all cores), and issue 4's clip share of a W2 step. */
import * as T from '@tapegrad/autograd';
import { clipByGlobalNorm } from '@tapegrad/optim';
import { DEFAULT_THREADS, table, timeit, verdict, withThreads } from './harness.js';
import { withTfjs } from './tfjs-backends.js';
import { W2, W3, tapegradStep } from './workloads.js';
import { tfjsStep } from './workloads-tfjs.js';

export async function benchLstm(): Promise<void> {
  const rows: (string | number)[][] = [];
  let w2Ms = 0;
  let w2Params: T.Tensor[] = [];
  const backend = T.getBackend();
  for (const w of [W2, W3]) {
    const times: Record<string, number> = {};
    for (const b of ['js', 'wasm', 'wasm-all'] as const) {
      T.setBackend(b === 'js' ? 'js' : 'wasm');
      const ours = tapegradStep(w);
      times[b] = await withThreads(b === 'wasm-all' ? DEFAULT_THREADS : 1, () => timeit(ours.step, { warmup: 2, minMs: 3000, minReps: 5 }));
      if (w === W2 && b === 'wasm') {
        w2Ms = times[b];
        w2Params = ours.params;
      }
    }
    T.setBackend(backend);
    for (const b of ['cpu', 'wasm'] as const) {
      times[`tf-${b}`] = await withTfjs(b, () => {
        const theirs = tfjsStep(w);
        const ms = timeit(theirs.step, { warmup: 1, minMs: 0, minReps: 3, maxReps: 3 });
        theirs.dispose();
        return ms;
      });
    }
    rows.push([`${w.name} (I${w.I} H${w.H} S${w.S} B${w.B})`, times.js!, times.wasm!, times['tf-cpu']!, times['tf-wasm']!, times.js! / times.wasm!, times['tf-wasm']! / times.wasm!, times['wasm-all']!, times.wasm! / times['wasm-all']!]);
  }
  table(`LSTM training step (ms/step): one thread each, then tapegrad:wasm on ${DEFAULT_THREADS} threads`, ['workload', 'tapegrad:js', 'tapegrad:wasm', 'tfjs:cpu', 'tfjs:wasm', 'wasm speed-up over js', 'tfjs:wasm ÷ tapegrad:wasm', `tapegrad:wasm ×${DEFAULT_THREADS}`, `speed-up of ×${DEFAULT_THREADS}`], rows);

  // Clipping's share of a W2 step: the same clip the step uses, on W2's gradients.
  const clip = clipByGlobalNorm(1);
  const grads = w2Params.map((p) => T.randn([...p.shape]));
  const clipMs = timeit(() => clip.update(grads, null, w2Params), { minMs: 500 });
  table('Clipping inside a W2 step', ['clipByGlobalNorm(1) on W2 grads (ms)', 'W2 step (ms)', 'share', 'target', ''], [[clipMs, w2Ms, `${((100 * clipMs) / w2Ms).toFixed(2)}%`, '≤ 5%', verdict(clipMs / w2Ms <= 0.05)]]);
}
