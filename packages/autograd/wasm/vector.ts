// AssemblyScript: kernels over float32 data that already lives in this
// module's memory (gradients kept there; see src/backend/wasm/resident.ts):
// gradient clipping's Σx² and in-place scaling, and backward's in-place
// accumulation. All are bound by memory bandwidth, so they are split between
// threads once the data is large.
//
// Each computes exactly what its JS twin computes, element by element:
// - the scale and the add are float32 operations, as the JS loops on a
//   Float32Array (s rounded to float32 first, as PyTorch's mul_ on a float32
//   gradient): results are bitwise equal;
// - the sum of squares is accumulated in float64 (the squares of float32
//   values up to ~1e38 cannot overflow) over fixed blocks of SUM_BLOCK
//   elements, each with eight running sums (elements i mod 8, as two pairs of
//   f64x2 lanes), and the block sums are added in block order — the same
//   order whatever the number of threads, and the order of the JS twin
//   (src/backend/reduce.ts sumSquares32, whose SUM_SQUARES_BLOCK equals
//   SUM_BLOCK), so 1 and N threads and both backends give the same bits.
import { partsFor, push, split, task } from './parallel';

/** Elements per block of the sum of squares: each block's sum is one float64 partial. Equal to SUM_SQUARES_BLOCK in src/backend/reduce.ts. */
export const SUM_BLOCK: i32 = 16384;
/** Task kinds of this file (parallel.ts dispatches them). */
export const TASK_SUM_SQUARES = 7;
export const TASK_SCALE = 8;
export const TASK_ADD = 9;

/** Bytes of scratch sumSquaresF32 needs for its partial sums of n elements. */
export function sumSquaresScratch(n: i32): i32 {
  return ((n + SUM_BLOCK - 1) / SUM_BLOCK) * 8;
}

/** Σx² of blocks [b0, b1) of x (n floats) in float64; block b's sum goes to partials[b]. */
export function sumSquaresBlocks(x: usize, n: i32, partials: usize, b0: i32, b1: i32): void {
  for (let b = b0; b < b1; b++) {
    const from = b * SUM_BLOCK;
    const to = min(n, from + SUM_BLOCK);
    // lo holds the running sums of elements ≡ 0, 1 (mod 4), hi of ≡ 2, 3; two pairs each to hide latency.
    let lo0 = f64x2.splat(0), hi0 = f64x2.splat(0), lo1 = f64x2.splat(0), hi1 = f64x2.splat(0);
    let i = from;
    for (; i + 8 <= to; i += 8) {
      const p = x + (<usize>i << 2);
      const v = v128.load(p);
      const w = v128.load(p, 16);
      const vl = f64x2.promote_low_f32x4(v), vh = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      const wl = f64x2.promote_low_f32x4(w), wh = f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1));
      lo0 = f64x2.add(lo0, f64x2.mul(vl, vl));
      hi0 = f64x2.add(hi0, f64x2.mul(vh, vh));
      lo1 = f64x2.add(lo1, f64x2.mul(wl, wl));
      hi1 = f64x2.add(hi1, f64x2.mul(wh, wh));
    }
    const lo = f64x2.add(lo0, lo1), hi = f64x2.add(hi0, hi1);
    let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
    for (; i < to; i++) {
      const e = <f64>load<f32>(x + (<usize>i << 2));
      s += e * e;
    }
    store<f64>(partials + (<usize>b << 3), s);
  }
}

/** Σx² of n floats at x in float64; `partials` is sumSquaresScratch(n) bytes of scratch. */
export function sumSquaresF32(x: usize, n: i32, partials: usize): f64 {
  const blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
  const parts = partsFor(<i64>n, blocks, 1);
  if (parts < 2) sumSquaresBlocks(x, n, partials, 0, blocks);
  else {
    task(1, blocks, 0);
    push(<i32>x);
    push(n);
    push(<i32>partials);
    split(TASK_SUM_SQUARES, parts);
  }
  let s: f64 = 0;
  for (let b = 0; b < blocks; b++) s += load<f64>(partials + (<usize>b << 3));
  return s;
}

/** x[i] ← x[i]·s in float32 for i in [from, to). */
export function scaleRange(x: usize, s: f32, from: i32, to: i32): void {
  const sv = f32x4.splat(s);
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), sv));
    v128.store(p, f32x4.mul(v128.load(p, 16), sv), 16);
  }
  for (; i < to; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * s);
  }
}

/**
 * Runs task `kind` (arguments arg0, arg1) over n elements cut into
 * SUM_BLOCK-aligned ranges between threads; false when the work is too small
 * to split or no worker is ready, and the caller runs it itself.
 */
function splitElements(kind: i32, n: i32, arg0: i32, arg1: i32): bool {
  const parts = partsFor(<i64>n, n, SUM_BLOCK);
  if (parts < 2) return false;
  task(SUM_BLOCK, n, 0);
  push(arg0);
  push(arg1);
  split(kind, parts);
  return true;
}

/** Multiplies n floats at x by s in place (a float32 product). */
export function scaleF32(x: usize, n: i32, s: f32): void {
  if (!splitElements(TASK_SCALE, n, <i32>x, reinterpret<i32>(s))) scaleRange(x, s, 0, n);
}

/** acc[i] ← acc[i] + g[i] for i in [from, to), in float32 (as the JS loop on a Float32Array). */
export function addRange(acc: usize, g: usize, from: i32, to: i32): void {
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const p = acc + (<usize>i << 2), q = g + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), v128.load(q)));
    v128.store(p, f32x4.add(v128.load(p, 16), v128.load(q, 16)), 16);
  }
  for (; i < to; i++) {
    const p = acc + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + load<f32>(g + (<usize>i << 2)));
  }
}

/** acc ← acc + g over n floats, in place. */
export function addF32(acc: usize, g: usize, n: i32): void {
  if (!splitElements(TASK_ADD, n, <i32>acc, <i32>g)) addRange(acc, g, 0, n);
}

/** Zeroes n floats at p. */
export function zeroF32(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}
