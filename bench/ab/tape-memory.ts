/**
 * What a recorded forward pass keeps alive until backward: typed-array bytes
 * live after the forward (after a full collection), for a composite LSTM
 * (per-step cells written in tensor ops, `fused: false`) and an MLP, with the
 * float64 JS backend. Run it on two trees to compare.
 * `node --expose-gc --import tsx bench/ab/tape-memory.ts` (with --conditions=source)
 */
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const live = () => {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
};
T.setBackend('js');
function measure(name: string, build: () => () => T.Tensor) {
  const forward = build();
  const base = live();
  const loss = forward();
  const held = live() - base;
  loss.backward();
  console.log(`${name}: ${(held / 1e6).toFixed(2)} MB of tensor data held between forward and backward`);
}
measure('composite LSTM (I28 H64 S50 B16, fused: false)', () => {
  const gen = new T.Generator(1);
  const lstm = new LSTM(28, 64, { batchFirst: true, generator: gen, fused: false } as never);
  const x = T.randn([16, 50, 28], { generator: gen });
  return () => lstm.forward(x).out.pow(2).mean();
});
measure('MLP 8 × Linear(512)+tanh, batch 256', () => {
  const gen = new T.Generator(1);
  const layers = Array.from({ length: 8 }, () => new Linear(512, 512, { generator: gen }));
  const x = T.randn([256, 512], { generator: gen });
  return () => layers.reduce((h, l) => T.tanh(l.forward(h)), x).pow(2).mean();
});
