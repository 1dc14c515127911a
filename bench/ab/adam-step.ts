// Adam (and AdamW) over 10M float32 parameters in 20 tensors: optimizer.step() on the JS backend
// against the WebAssembly backend (kernels.adamUpdate streams parameter, gradient and state through
// its memory, f64x2, bitwise the JS loop), interleaved rounds, median ms per step.
// Usage: npx tsx --conditions=source bench/ab/adam-step.ts
import * as T from '@tapegrad/autograd';
import { Adam, AdamW } from '@tapegrad/optim';
const n = 500_000, count = 20;
const make = () => {
  const params = Array.from({ length: count }, (_, k) => new T.Tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)), [n], true));
  params.forEach((p, k) => (p.grad = new T.Tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3 + k)), [n])));
  return params;
};
const opts = { lr: 1e-3, amsgrad: false };
const runs = { 'Adam js': new Adam(make(), opts), 'Adam wasm': new Adam(make(), opts), 'AdamW js': new AdamW(make(), opts), 'AdamW wasm': new AdamW(make(), opts) };
const times: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const [name, opt] of Object.entries(runs)) {
    T.setBackend(name.endsWith('wasm') ? 'wasm' : 'js');
    opt.step();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) opt.step();
    (times[name] ??= []).push((performance.now() - t0) / 3);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const name of Object.keys(runs)) console.log(`${name.padEnd(10)} ${median(times[name]!).toFixed(1)} ms per step`);
console.log(`wasm ÷ js: Adam ${(median(times['Adam wasm']!) / median(times['Adam js']!)).toFixed(2)}×, AdamW ${(median(times['AdamW wasm']!) / median(times['AdamW js']!)).toFixed(2)}×`);
