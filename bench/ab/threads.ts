// W2/W3 wasm training step with 1 and 2 threads, interleaved rounds in one process; min ms per setting.
import * as T from '@tapegrad/autograd';
import { W2, W3, tapegradStep } from '../../bench/src/workloads.js';
import { timeit } from '../../bench/src/harness.js';
T.setBackend('wasm');
T.setNumThreads(2);
await new Promise((r) => setTimeout(r, 300));
const out: Record<string, number> = {};
for (let round = 0; round < 3; round++)
  for (const w of [W2, W3])
    for (const n of [1, 2]) {
      T.setNumThreads(n);
      const s = tapegradStep(w);
      const ms = timeit(s.step, { warmup: 2, minMs: 2000, minReps: 5 });
      const key = `${w.name} threads=${n}`;
      out[key] = Math.min(out[key] ?? Infinity, ms);
    }
console.log(out);
