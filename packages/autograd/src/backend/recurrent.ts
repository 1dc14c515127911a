/**
 * The forward kernel of the sequence-fused LSTM (see ops/lstm-sequence.ts):
 * for each processing step s, acts[s] = proj rows of step t + h_s·W_hhᵀ, the
 * gates i, f, o = σ, g = tanh, c_{s+1} = f⊙c_s + i⊙g, h_{s+1} = o⊙tanh(c_{s+1}).
 * The WebAssembly backend replaces it with a float32 SIMD twin that keeps the
 * whole sequence in its memory.
 */
import type { FloatArray } from './dtype.js';
import type { GemmArgs } from './matmul.js';

/** Arguments of one sequence forward: every buffer preallocated, hs[0..BH) and cs[0..BH) holding h0 and c0. */
export interface LstmForwardArgs {
  T: number;
  B: number;
  H: number;
  /** [B,T,4H] (batchFirst) or [T,B,4H]. */
  proj: FloatArray;
  /** [4H, H]. */
  whh: FloatArray;
  /** [(T+1), B, H] by processing step. */
  hs: FloatArray;
  cs: FloatArray;
  /** [T, B, 4H] gate activations (i, f, g, o), by processing step. */
  acts: FloatArray;
  /** [T, B, H] tanh(c), by processing step. */
  tanhC: FloatArray;
  /** h_t in proj's layout. */
  out: FloatArray;
  batchFirst: boolean;
  reverse: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The JS kernel (float32 and float64), calling `gemm` for the recurrent product. */
export function lstmForwardWith(gemm: (args: GemmArgs) => void, args: LstmForwardArgs): void {
  const { T, B, H, proj, whh, hs, cs, acts, tanhC, out, batchFirst, reverse } = args;
  const G = 4 * H;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const a = s * B * G;
    for (let b = 0; b < B; b++) acts.set(proj.subarray(rowOf(t, b) * G, rowOf(t, b) * G + G), a + b * G);
    gemm({ transA: false, transB: true, M: B, N: G, K: H, a: hs, aOffset: s * B * H, b: whh, bOffset: 0, c: acts, cOffset: a, accumulate: true });
    const cPrev = s * B * H, cNext = (s + 1) * B * H;
    for (let b = 0; b < B; b++) {
      const r = a + b * G;
      const o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const iv = sigmoid(acts[r + j]!);
        const fv = sigmoid(acts[r + H + j]!);
        const gv = Math.tanh(acts[r + 2 * H + j]!);
        const ov = sigmoid(acts[r + 3 * H + j]!);
        acts[r + j] = iv;
        acts[r + H + j] = fv;
        acts[r + 2 * H + j] = gv;
        acts[r + 3 * H + j] = ov;
        const k = b * H + j;
        const cv = fv * cs[cPrev + k]! + iv * gv;
        cs[cNext + k] = cv;
        const tc = Math.tanh(cv);
        tanhC[s * B * H + k] = tc;
        const hv = ov * tc;
        hs[cNext + k] = hv;
        out[o + j] = hv;
      }
    }
  }
}
