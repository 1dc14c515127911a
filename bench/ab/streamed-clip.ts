// Σx² and x ← s·x on float32 JS arrays: the JS loops (defaultKernels) against the WebAssembly backend,
// which streams arrays of STREAMED_MIN_FLOATS (src/backend/wasm/kernels.ts) or more through its memory
// one block at a time; ns per element by size, interleaved rounds, min of rounds. Where the two cross
// is where the threshold belongs.
// Usage: npx tsx --conditions=source bench/ab/streamed-clip.ts
import * as T from '@tapegrad/autograd';
T.setBackend('wasm');
const wasm = T.kernels, js = T.defaultKernels;
const sizes = [256, 512, 1024, 2048, 4096, 8192, 16384, 65536, 500_000];
const nsPerElement = (n: number, fn: () => void) => {
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 150) {
    fn();
    reps++;
  }
  return ((performance.now() - t0) * 1e6) / (reps * n);
};
const best: Record<string, number> = {};
for (let round = 0; round < 5; round++) {
  for (const n of sizes) {
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    let flip = false;
    // Alternate ×0.5 and ×2 (exact), so repeated scaling neither shrinks the data into subnormals nor is skipped.
    const scale = (k: typeof js) => () => k.scaleInPlace(x, (flip = !flip) ? 0.5 : 2);
    const row: Record<string, number> = {
      'sum js': nsPerElement(n, () => js.sumSquares(x)),
      'sum wasm': nsPerElement(n, () => wasm.sumSquares(x)),
      'scale js': nsPerElement(n, scale(js)),
      'scale wasm': nsPerElement(n, scale(wasm)),
    };
    for (const [k, v] of Object.entries(row)) best[`${n} ${k}`] = Math.min(best[`${n} ${k}`] ?? Infinity, v);
  }
}
console.log('n'.padStart(8), 'sum js', 'sum wasm', 'scale js', 'scale wasm', '(ns per element, min of 5 rounds)');
for (const n of sizes) console.log(String(n).padStart(8), ['sum js', 'sum wasm', 'scale js', 'scale wasm'].map((k) => best[`${n} ${k}`]!.toFixed(3).padStart(8)).join(' '));
