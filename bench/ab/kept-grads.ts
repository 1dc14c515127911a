/**
 * A/B in one process: W2/W3 training steps with the default zeroGrad (fresh
 * JS gradients every step) against zeroGrad({ setToNone: false }) (gradients
 * kept, in WebAssembly memory on the wasm backend), interleaved rounds, min of rounds;
 * and the resident bytes held, which must stay at one set of gradients for the
 * kept run and zero for the fresh one (fresh resident gradients would pile up:
 * finalizers never run inside a synchronous loop).
 * `npx tsx --conditions=source bench/ab/kept-grads.ts`
 */
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';
import { Adam, clipByGlobalNorm } from '@tapegrad/optim';
import { W2, W3, type Workload } from '../src/workloads.js';
import { wasmResidentBytes } from '../../packages/autograd/src/backend/select.js';

function stepOf(w: Workload, setToNone: boolean) {
  const gen = new T.Generator(1);
  const lstm = new LSTM(w.I, w.H, { batchFirst: true, generator: gen });
  const head = new Linear(w.H, 10, { generator: gen });
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-3, clip: clipByGlobalNorm(1) });
  const x = T.randn([w.B, w.S, w.I], { generator: gen });
  const y = T.randint(0, 10, [w.B], { generator: gen });
  return () => {
    opt.zeroGrad({ setToNone });
    T.crossEntropy(head.forward(T.select(lstm.forward(x).out, 1, -1)), y).backward();
    opt.step();
  };
}
const time = (f: () => void, reps: number) => {
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t) / reps;
};
for (const w of [W2, W3]) {
  const held0 = wasmResidentBytes();
  const fresh = stepOf(w, true);
  for (let i = 0; i < 10; i++) fresh();
  const heldFresh = wasmResidentBytes() - held0;
  const kept = stepOf(w, false);
  for (let i = 0; i < 10; i++) kept();
  const heldKept = wasmResidentBytes() - held0 - heldFresh;
  for (let i = 0; i < 200; i++) kept();
  const heldKeptLater = wasmResidentBytes() - held0 - heldFresh;
  console.log(`${w.name}: resident bytes after fresh steps ${heldFresh}, after 10 kept steps ${heldKept}, after 210 ${heldKeptLater}`);
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < 5; r++) {
    a.push(time(fresh, 20));
    b.push(time(kept, 20));
  }
  const fa = Math.min(...a), fb = Math.min(...b);
  console.log(`${w.name}: fresh gradients ${fa.toFixed(2)} ms, kept gradients ${fb.toFixed(2)} ms (${(fb / fa).toFixed(2)}×)`);
}
process.exit(0);
