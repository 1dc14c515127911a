/**
 * `pnpm bench [ops|lstm|clip|memory|leak ...]` — tapegrad side by side with
 * @tensorflow/tfjs (cpu backend) in one run; every result is a ratio against
 * the peer or against a bound measured on this machine. All by default.
 */
import * as tf from '@tensorflow/tfjs';
import { benchClip } from './src/clip.js';
import { benchLstm } from './src/lstm.js';
import { benchLeak, benchMemory } from './src/memory.js';
import { benchOps } from './src/ops.js';

const suites: Record<string, () => Promise<void>> = { ops: benchOps, lstm: benchLstm, clip: benchClip, memory: benchMemory, leak: () => benchLeak() };
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) if (!(w in suites)) throw new Error(`unknown bench '${w}'; choose from ${Object.keys(suites).join(', ')}`);
await tf.setBackend('cpu');
console.log(`tapegrad bench — node ${process.version}, tfjs ${tf.version.tfjs} (${tf.getBackend()} backend)`);
for (const name of wanted.length ? wanted : Object.keys(suites)) await suites[name]!();
