/**
 * `pnpm bench [ops|lstm|clip|memory|leak ...]` — tapegrad (js and wasm
 * backends) side by side with @tensorflow/tfjs (cpu and wasm backends) in one
 * run; every result is a ratio against the peer or against a bound measured
 * on this machine. All by default.
 */
import * as tf from '@tensorflow/tfjs';
import * as T from '@tapegrad/autograd';
import { registerTfjsWasm } from './src/tfjs-backends.js';
import { benchClip } from './src/clip.js';
import { benchLstm } from './src/lstm.js';
import { benchLeak, benchMemory } from './src/memory.js';
import { benchOps } from './src/ops.js';
import { benchTorch } from './src/torch.js';

const suites: Record<string, () => Promise<void>> = { ops: benchOps, lstm: benchLstm, clip: benchClip, memory: benchMemory, leak: () => benchLeak() };
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// --torch adds PyTorch (one thread, OpenBLAS) measured in the same run.
const withTorch = process.argv.includes('--torch');
for (const w of wanted) if (!(w in suites)) throw new Error(`unknown bench '${w}'; choose from ${Object.keys(suites).join(', ')}`);
registerTfjsWasm();
await tf.setBackend('cpu');
const info = T.backendInfo();
console.log(`tapegrad bench — node ${process.version}, tapegrad wasm: ${info.wasm.available ? info.wasm.variant : `unavailable (${info.wasm.reason})`}, tfjs ${tf.version.tfjs} (cpu and wasm backends)`);
for (const name of wanted.length ? wanted : Object.keys(suites)) await suites[name]!();
if (withTorch) await benchTorch();
