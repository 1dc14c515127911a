/** Issue 3's W2/W3 training steps side by side (one thread each, and tapegrad on all cores), and issue 4's clip share of a W2 step. */
import * as T from '@tapegrad/autograd';
import { clipByGlobalNorm } from '@tapegrad/optim';
import { DEFAULT_THREADS, table, timeClip, timeit, verdict, withThreads } from './harness.js';
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
    T.setBackend('js');
    times.js = await withThreads(1, () => timeit(tapegradStep(w).step, { warmup: 2, minMs: 3000, minReps: 5 }));
    T.setBackend('wasm');
    // One thread and all threads in alternating rounds (median of 3 each), so a slow spell of a shared VM hits both.
    const ones: number[] = [], alls: number[] = [];
    const ours = tapegradStep(w);
    for (let round = 0; round < 3; round++) {
      ones.push(await withThreads(1, () => timeit(ours.step, { warmup: 2, minMs: 1500, minReps: 5 })));
      alls.push(await withThreads(DEFAULT_THREADS, () => timeit(ours.step, { warmup: 2, minMs: 1500, minReps: 5 })));
    }
    const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    times.wasm = median(ones);
    times['wasm-all'] = median(alls);
    if (w === W2) {
      w2Ms = times.wasm;
      w2Params = ours.params;
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

  // Clipping's share of a W2 step: the same clip the step uses, on W2-shaped gradients whose norm (~300) it clips.
  const clip = clipByGlobalNorm(1);
  const grads = w2Params.map((p) => T.randn([...p.shape]));
  const clipMs = timeClip(clip, grads, w2Params, grads.map((g) => (g.data as Float32Array).slice()), 500);
  table('Clipping inside a W2 step', ['clipByGlobalNorm(1) on W2 grads (ms)', 'W2 step (ms)', 'share', 'target', ''], [[clipMs, w2Ms, `${((100 * clipMs) / w2Ms).toFixed(2)}%`, '≤ 5%', verdict(clipMs / w2Ms <= 0.05)]]);
}
