/**
 * A/B in one process: W2/W3 training steps with the default zeroGrad (fresh
 * JS gradients every step) against zeroGrad({ setToNone: false }) (gradients
 * kept, in WebAssembly memory on the wasm backend), interleaved rounds, min of rounds;
 * and the resident bytes held, which must stay at one set of gradients for the
 * kept run and zero for the fresh one (fresh resident gradients would pile up:
 * finalizers never run inside a synchronous loop).
 * Then a 10M-parameter step, where keeping gradients pays.
 * `npx tsx --conditions=source bench/ab/kept-grads.ts`
 */
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';
import { Adam, SGD, clipByGlobalNorm } from '@tapegrad/optim';
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
// A large model's step, where kept gradients matter: 10M float32 parameters in 20 tensors, zeroGrad +
// backward + SGD with clipByGlobalNorm. Kept gradients are zeroed, accumulated and clipped in
// WebAssembly memory; fresh ones are taken from the kernels' arrays and clipped by JS loops.
function bigStep(setToNone: boolean) {
  const per = 500_000, count = 20;
  const params = Array.from({ length: count }, () => new T.Tensor(new Float32Array(per), [per], true));
  const consts = params.map((_, k) => new T.Tensor(Float32Array.from({ length: per }, (_, i) => Math.sin(i + k)), [per]));
  const loss = () => params.reduce((acc, p, k) => T.add(acc, T.mul(p, consts[k]!).sum()), T.zeros([]));
  const opt = new SGD(params, { lr: 1e-9, clip: clipByGlobalNorm(1e-3) });
  return () => {
    opt.zeroGrad({ setToNone });
    loss().backward();
    opt.step();
  };
}
{
  const fresh = bigStep(true), kept = bigStep(false);
  for (let i = 0; i < 3; i++) (fresh(), kept());
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < 5; r++) {
    a.push(time(fresh, 8));
    b.push(time(kept, 8));
  }
  const fa = Math.min(...a), fb = Math.min(...b);
  console.log(`10M parameters (zeroGrad, backward, clipped SGD): fresh gradients ${fa.toFixed(1)} ms, kept gradients ${fb.toFixed(1)} ms (${(fb / fa).toFixed(2)}×)`);
}
process.exit(0);
