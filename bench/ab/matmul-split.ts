// Where an n² float32 matmul's time goes on one thread, in alternating rounds (GFLOP/s, median of 3):
// the gemm kernel-table entry into a reused output (kernel + copies in and out), into a fresh output
// (+ allocating and first touching it), the whole op with and without grad mode, and tfjs:wasm.
// Usage: npx tsx --conditions=source bench/ab/matmul-split.ts [n=256]
import * as T from '@tapegrad/autograd';
import { timeit } from '../src/harness.js';
import * as tf from '@tensorflow/tfjs';
import { registerTfjsWasm, withTfjs } from '../src/tfjs-backends.js';
registerTfjsWasm();
const n = Number(process.argv[2] ?? 256);
T.setBackend('wasm');
T.setNumThreads(1);
const a = T.randn([n, n]), b = T.randn([n, n]);
const ad = a.data as Float32Array, bd = b.data as Float32Array;
const reused = new Float32Array(n * n);
const flop = 2 * n ** 3;
const args = (c: Float32Array) => ({ transA: false, transB: false, M: n, N: n, K: n, a: ad, aOffset: 0, b: bd, bOffset: 0, c, cOffset: 0, accumulate: false });
const k = T.kernels as unknown as { gemm: (x: ReturnType<typeof args>) => void };
const gf = (fn: () => unknown) => flop / timeit(fn, { minMs: 800, warmup: 20 }) / 1e6;
const rows: Record<string, number[]> = { reused: [], fresh: [], op: [], opNoGrad: [], tfjs: [] };
for (let r = 0; r < 3; r++) {
  rows.reused!.push(gf(() => k.gemm(args(reused))));
  rows.fresh!.push(gf(() => k.gemm(args(new Float32Array(n * n)))));
  rows.op!.push(gf(() => T.matmul(a, b)));
  rows.opNoGrad!.push(gf(() => T.noGrad(() => T.matmul(a, b))));
  rows.tfjs!.push(await withTfjs('wasm', () => {
    const ta = tf.randomNormal([n, n]), tb = tf.randomNormal([n, n]);
    const v = gf(() => tf.tidy(() => { tf.matMul(ta, tb).dataSync(); }));
    ta.dispose(); tb.dispose();
    return v;
  }));
}
for (const [name, v] of Object.entries(rows)) console.log(name.padEnd(9), v.map((x) => x.toFixed(1)).join(' '), ' median', [...v].sort((x, y) => x - y)[1]!.toFixed(1));
