/**
 * How much resident gradient storage (leaves' .grad in WebAssembly memory) a
 * training loop holds while the collector lags: W2/W3 steps with the default
 * zeroGrad (set to null), printing the live resident bytes and the module
 * memory's size as it goes. `npx tsx --conditions=source bench/ab/resident-lag.ts [W2|W3] [steps]`
 */
import * as T from '@tapegrad/autograd';
import { wasmResidentBytes } from '../../packages/autograd/src/backend/select.js';
import { loadKernels } from '../../packages/autograd/src/backend/wasm/module.js';
import { W2, W3, tapegradStep } from '../src/workloads.js';

const w = process.argv[2] === 'W3' ? W3 : W2;
const steps = Number(process.argv[3] ?? 400);
T.setBackend('wasm');
const { step, params } = tapegradStep(w);
const gradBytes = params.reduce((s, p) => s + p.size * 4, 0);
const loaded = loadKernels();
const memoryMB = () => (loaded.ok ? loaded.exports.memory.buffer.byteLength / 1e6 : 0);
let peak = 0;
const t0 = performance.now();
for (let i = 1; i <= steps; i++) {
  step();
  peak = Math.max(peak, wasmResidentBytes());
  if (i % Math.max(1, Math.floor(steps / 8)) === 0) console.log(`${w.name} step ${i}: resident ${(wasmResidentBytes() / 1e6).toFixed(2)} MB (peak ${(peak / 1e6).toFixed(2)} MB = ${(peak / gradBytes).toFixed(1)} steps of gradients), module memory ${memoryMB().toFixed(1)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}
console.log(`${((performance.now() - t0) / steps).toFixed(1)} ms/step; one step's gradients ${(gradBytes / 1e6).toFixed(2)} MB`);
process.exit(0);
