// A/B: W2/W3 wasm training step, this tree. Prints min ms of 3 rounds per workload.
import * as T from '@tapegrad/autograd';
import { W2, W3, tapegradStep } from '../../bench/src/workloads.js';
import { timeit } from '../../bench/src/harness.js';
T.setBackend('wasm');
const out: Record<string, number> = {};
for (const w of [W2, W3]) {
  const s = tapegradStep(w);
  out[w.name] = timeit(s.step, { warmup: 2, minMs: 2500, minReps: 5 });
}
console.log(JSON.stringify(out));
