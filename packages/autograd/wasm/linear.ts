// AssemblyScript: linear (y = x·Wᵀ + b) forward and backward in one call each,
// so its operands cross into WebAssembly memory once: the bias is broadcast
// into the output here (not in JS and copied in), and the upstream gradient g
// copied in once serves dx = g·W, dW = gᵀ·x and db = Σ_rows g. The products
// go through the (threaded) gemm; the column sums of db are accumulated in
// f64x2 (as the JS twin accumulates in double), reading g row by row.
import { gemm } from './parallel';

/** out[rows, outF] = x[rows, inF]·wᵀ (+ bias broadcast over rows when bias ≠ 0). */
export function linearForward(rows: i32, inF: i32, outF: i32, x: usize, w: usize, bias: usize, out: usize, pack: usize): void {
  if (bias != 0) for (let r = 0; r < rows; r++) memory.copy(out + <usize>(r * outF) * 4, bias, <usize>outF * 4);
  gemm(false, true, rows, outF, inF, x, w, out, bias != 0, pack);
}

/** gx = g·w, gw = gᵀ·x, gb = Σ_rows g, each when its pointer is not 0; `scratch` holds gb's f64 accumulators (8·outF bytes). */
export function linearBackward(rows: i32, inF: i32, outF: i32, g: usize, x: usize, w: usize, gx: usize, gw: usize, gb: usize, pack: usize, scratch: usize): void {
  if (gx != 0) gemm(false, false, rows, inF, outF, g, w, gx, false, pack);
  if (gw != 0) gemm(true, false, outF, inF, rows, g, x, gw, false, pack);
  if (gb != 0) columnSums(g, rows, outF, gb, scratch);
}

/** out[j] = Σ_r a[r·cols + j] (float32 out, f64 accumulation in `scratch`, 8·cols bytes). */
export function columnSums(a: usize, rows: i32, cols: i32, out: usize, scratch: usize): void {
  memory.fill(scratch, 0, <usize>cols * 8);
  const cols4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const row = a + <usize>(r * cols) * 4;
    let j = 0;
    for (; j < cols4; j += 4) {
      const v = v128.load(row + <usize>j * 4);
      const s = scratch + <usize>j * 8;
      v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(v)));
      v128.store(s, f64x2.add(v128.load(s, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
    for (; j < cols; j++) {
      const s = scratch + <usize>j * 8;
      store<f64>(s, load<f64>(s) + <f64>load<f32>(row + <usize>j * 4));
    }
  }
  for (let j = 0; j < cols; j++) store<f32>(out + <usize>j * 4, <f32>load<f64>(scratch + <usize>j * 8));
}
