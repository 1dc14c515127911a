/**
 * The forward and backward kernels of the sequence-fused LSTM (see ops/lstm-sequence.ts):
 * for each processing step s, acts[s] = proj rows of step t + h_s·W_hhᵀ, the
 * gates i, f, o = σ, g = tanh, c_{s+1} = f⊙c_s + i⊙g, h_{s+1} = o⊙tanh(c_{s+1}).
 * The WebAssembly backend replaces it with a float32 SIMD twin that keeps the
 * whole sequence in its memory.
 */
import type { FloatArray } from './dtype.js';
import { allocateLike } from './dtype.js';
import type { GemmArgs, LinearBackwardArgs, LinearForwardArgs } from './matmul.js';

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

/** Arguments of one sequence backward over the buffers lstmForward filled. */
export interface LstmBackwardArgs {
  T: number;
  B: number;
  H: number;
  acts: FloatArray;
  cs: FloatArray;
  tanhC: FloatArray;
  hs: FloatArray;
  whh: FloatArray;
  /** dL/dh_t for every t, in proj's layout. */
  gOut: FloatArray;
  /** In: dL/dh_T, dL/dc_T; out: dL/dh0, dL/dc0 ([B, H]). */
  dh: FloatArray;
  dc: FloatArray;
  /** Out: dL/dproj, in proj's layout. */
  dproj: FloatArray;
  /** Out: dL/dW_hh ([4H, H]), or null when not wanted. */
  dw: FloatArray | null;
  batchFirst: boolean;
  reverse: boolean;
}

/**
 * The JS backward (float32 and float64), per step as lstmCell's:
 * dc_tot = dc' + dh'⊙o⊙(1 − tanh²c'); d i = dc_tot⊙g⊙i(1−i), d f = dc_tot⊙c⊙f(1−f),
 * d g = dc_tot⊙i⊙(1−g²), d o = dh'⊙tanh c'⊙o(1−o); dc = dc_tot⊙f; dh = dpre·W_hh; dW_hh += dpreᵀ·h.
 */
export function lstmBackwardWith(gemm: (args: GemmArgs) => void, args: LstmBackwardArgs): void {
  const { T, B, H, acts, cs, tanhC, hs, whh, gOut: go, dh, dc, dproj, dw, batchFirst, reverse } = args;
  const G = 4 * H;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  const dpre = allocateLike(dh, B * G);
  const dhPrev = allocateLike(dh, B * H);
  if (dw) dw.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const a = s * B * G, cPrev = s * B * H;
    for (let b = 0; b < B; b++) {
      const r = a + b * G, q = b * G, o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const dhv = dh[k]! + go[o + j]!;
        const iv = acts[r + j]!, fv = acts[r + H + j]!, gv = acts[r + 2 * H + j]!, ov = acts[r + 3 * H + j]!;
        const tc = tanhC[s * B * H + k]!;
        const dct = dc[k]! + dhv * ov * (1 - tc * tc);
        dpre[q + j] = dct * gv * iv * (1 - iv);
        dpre[q + H + j] = dct * cs[cPrev + k]! * fv * (1 - fv);
        dpre[q + 2 * H + j] = dct * iv * (1 - gv * gv);
        dpre[q + 3 * H + j] = dhv * tc * ov * (1 - ov);
        dc[k] = dct * fv;
      }
      dproj.set(dpre.subarray(b * G, b * G + G), rowOf(t, b) * G);
    }
    gemm({ transA: false, transB: false, M: B, N: H, K: G, a: dpre, aOffset: 0, b: whh, bOffset: 0, c: dhPrev, cOffset: 0, accumulate: false });
    dh.set(dhPrev);
    if (dw) gemm({ transA: true, transB: false, M: G, N: H, K: B, a: dpre, aOffset: 0, b: hs, bOffset: cPrev, c: dw, cOffset: 0, accumulate: true });
  }
}

/** Arguments of an Elman RNN sequence forward: hs [(T+1),B,H] with h0 in hs[0..BH). */
export interface RnnForwardArgs {
  T: number;
  B: number;
  H: number;
  /** [B,T,H] (batchFirst) or [T,B,H]: x·W_ihᵀ + b_ih + b_hh. */
  proj: FloatArray;
  whh: FloatArray;
  hs: FloatArray;
  out: FloatArray;
  relu: boolean;
  batchFirst: boolean;
  reverse: boolean;
}

/** The JS RNN forward: hs[s+1] = act(proj_t + hs[s]·W_hhᵀ). */
export function rnnForwardWith(gemm: (args: GemmArgs) => void, args: RnnForwardArgs): void {
  const { T, B, H, proj, whh, hs, out, relu, batchFirst, reverse } = args;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const next = (s + 1) * B * H;
    for (let b = 0; b < B; b++) hs.set(proj.subarray(rowOf(t, b) * H, rowOf(t, b) * H + H), next + b * H);
    gemm({ transA: false, transB: true, M: B, N: H, K: H, a: hs, aOffset: s * B * H, b: whh, bOffset: 0, c: hs, cOffset: next, accumulate: true });
    for (let b = 0; b < B; b++) {
      const o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const k = next + b * H + j;
        const v = relu ? (hs[k]! > 0 ? hs[k]! : 0) : Math.tanh(hs[k]!);
        hs[k] = v;
        out[o + j] = v;
      }
    }
  }
}

/** Arguments of the RNN backward over the buffers rnnForward filled. */
export interface RnnBackwardArgs {
  T: number;
  B: number;
  H: number;
  hs: FloatArray;
  whh: FloatArray;
  gOut: FloatArray;
  /** In: dL/dh_T; out: dL/dh0. */
  dh: FloatArray;
  dproj: FloatArray;
  dw: FloatArray | null;
  relu: boolean;
  batchFirst: boolean;
  reverse: boolean;
}

/** dpre = (dh + gOut) ⊙ (1 − y²) (tanh) or ⊙ [y > 0] (relu); dh ← dpre·W_hh; dW_hh += dpreᵀ·h. */
export function rnnBackwardWith(gemm: (args: GemmArgs) => void, args: RnnBackwardArgs): void {
  const { T, B, H, hs, whh, gOut: go, dh, dproj, dw, relu, batchFirst, reverse } = args;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  const dpre = allocateLike(dh, B * H);
  if (dw) dw.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const next = (s + 1) * B * H;
    for (let b = 0; b < B; b++) {
      const o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const y = hs[next + k]!;
        const d = dh[k]! + go[o + j]!;
        dpre[k] = relu ? (y > 0 ? d : 0) : d * (1 - y * y);
      }
      dproj.set(dpre.subarray(b * H, b * H + H), o);
    }
    gemm({ transA: false, transB: false, M: B, N: H, K: H, a: dpre, aOffset: 0, b: whh, bOffset: 0, c: dh, cOffset: 0, accumulate: false });
    if (dw) gemm({ transA: true, transB: false, M: H, N: H, K: B, a: dpre, aOffset: 0, b: hs, bOffset: s * B * H, c: dw, cOffset: 0, accumulate: true });
  }
}

/** Arguments of a GRU sequence forward: hs [(T+1),B,H] with h0 in hs[0..BH); hps and acts [T,B,3H]. */
export interface GruForwardArgs {
  T: number;
  B: number;
  H: number;
  /** [B,T,3H] (batchFirst) or [T,B,3H]: x·W_ihᵀ + b_ih. */
  proj: FloatArray;
  whh: FloatArray;
  bhh: FloatArray | null;
  hs: FloatArray;
  hps: FloatArray;
  acts: FloatArray;
  out: FloatArray;
  batchFirst: boolean;
  reverse: boolean;
}

const sigmoidOf = (x: number) => 1 / (1 + Math.exp(-x));

/** The JS GRU forward (PyTorch's form): hp = b_hh + h·W_hhᵀ, r, z = σ, n = tanh(x_n + r⊙hp_n), h' = (1−z)⊙n + z⊙h. */
export function gruForwardWith(gemm: (args: GemmArgs) => void, args: GruForwardArgs): void {
  const { T, B, H, proj: pd, whh, bhh, hs, hps, acts, out, batchFirst, reverse } = args;
  const G = 3 * H;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const a = s * B * G;
    if (bhh) for (let b = 0; b < B; b++) hps.set(bhh, a + b * G);
    gemm({ transA: false, transB: true, M: B, N: G, K: H, a: hs, aOffset: s * B * H, b: whh, bOffset: 0, c: hps, cOffset: a, accumulate: bhh !== null });
    for (let b = 0; b < B; b++) {
      const r = a + b * G, x = rowOf(t, b) * G, o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const rv = sigmoidOf(pd[x + j]! + hps[r + j]!);
        const zv = sigmoidOf(pd[x + H + j]! + hps[r + H + j]!);
        const nv = Math.tanh(pd[x + 2 * H + j]! + rv * hps[r + 2 * H + j]!);
        acts[r + j] = rv;
        acts[r + H + j] = zv;
        acts[r + 2 * H + j] = nv;
        const hv = (1 - zv) * nv + zv * hs[s * B * H + b * H + j]!;
        hs[(s + 1) * B * H + b * H + j] = hv;
        out[o + j] = hv;
      }
    }
  }
}

/** Arguments of the GRU backward over the buffers gruForward filled. */
export interface GruBackwardArgs {
  T: number;
  B: number;
  H: number;
  hs: FloatArray;
  hps: FloatArray;
  acts: FloatArray;
  whh: FloatArray;
  gOut: FloatArray;
  /** In: dL/dh_T; out: dL/dh0. */
  dh: FloatArray;
  dproj: FloatArray;
  dw: FloatArray | null;
  db: FloatArray | null;
  batchFirst: boolean;
  reverse: boolean;
}

/**
 * As gruCell: dn = dh(1−z)(1−n²), dz = dh(h−n)z(1−z), dr = dn·hp_n·r(1−r); d proj = (dr, dz, dn);
 * d hp = (dr, dz, dn·r); dh_prev = dh·z + d hp·W_hh; dW_hh += d hpᵀ·h; db_hh += Σ_b d hp.
 */
export function gruBackwardWith(gemm: (args: GemmArgs) => void, args: GruBackwardArgs): void {
  const { T, B, H, hs, hps, acts, whh, gOut: go, dh, dproj, dw, db, batchFirst, reverse } = args;
  const G = 3 * H;
  const rowOf = (t: number, b: number) => (batchFirst ? b * T + t : t * B + b);
  const dhp = allocateLike(dh, B * G);
  const dhPrev = allocateLike(dh, B * H);
  if (dw) dw.fill(0);
  if (db) db.fill(0);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const a = s * B * G;
    for (let b = 0; b < B; b++) {
      const r = a + b * G, q = b * G, x = rowOf(t, b) * G, o = rowOf(t, b) * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const rv = acts[r + j]!, zv = acts[r + H + j]!, nv = acts[r + 2 * H + j]!;
        const d = dh[k]! + go[o + j]!;
        const dn = d * (1 - zv) * (1 - nv * nv);
        const dz = d * (hs[s * B * H + k]! - nv) * zv * (1 - zv);
        const dr = dn * hps[r + 2 * H + j]! * rv * (1 - rv);
        dproj[x + j] = dr;
        dproj[x + H + j] = dz;
        dproj[x + 2 * H + j] = dn;
        dhp[q + j] = dr;
        dhp[q + H + j] = dz;
        dhp[q + 2 * H + j] = dn * rv;
        dhPrev[k] = d * zv;
      }
      if (db) for (let j = 0; j < G; j++) db[j] += dhp[q + j]!;
    }
    gemm({ transA: false, transB: false, M: B, N: H, K: G, a: dhp, aOffset: 0, b: whh, bOffset: 0, c: dhPrev, cOffset: 0, accumulate: true });
    dh.set(dhPrev);
    if (dw) gemm({ transA: true, transB: false, M: G, N: H, K: B, a: dhp, aOffset: 0, b: hs, bOffset: s * B * H, c: dw, cOffset: 0, accumulate: true });
  }
}

/**
 * A whole LSTM layer and direction from its input: proj = x·W_ihᵀ + bias,
 * then the sequence (lstmForward's arguments, without proj). One kernel call,
 * so on the WebAssembly backend the projection never leaves its memory.
 */
export interface LstmLayerForwardArgs extends Omit<LstmForwardArgs, 'proj'> {
  /** Input features per step. */
  I: number;
  /** [B,T,I] (batchFirst) or [T,B,I]. */
  x: FloatArray;
  /** [4H, I]. */
  wih: FloatArray;
  /** [4H] (b_ih + b_hh), or null. */
  bias: FloatArray | null;
}

/** The backward of lstmLayerForward: lstmBackward's outputs, then dx, dW_ih, d bias (each only when its output is given). */
export interface LstmLayerBackwardArgs extends Omit<LstmBackwardArgs, 'dproj'> {
  I: number;
  x: FloatArray;
  wih: FloatArray;
  gx: FloatArray | null;
  gwih: FloatArray | null;
  gbias: FloatArray | null;
}

/** The JS composition: the projection into a buffer, then the sequence kernels (on whatever kernels are given). */
export function lstmLayerForwardWith(k: { linearForward: (a: LinearForwardArgs) => void; lstmForward: (a: LstmForwardArgs) => void }, args: LstmLayerForwardArgs): void {
  const { T, B, H, I, x, wih, bias } = args;
  const proj = allocateLike(args.acts, T * B * 4 * H);
  k.linearForward({ rows: T * B, inF: I, outF: 4 * H, x, w: wih, bias, out: proj });
  k.lstmForward({ ...args, proj });
}

/** The JS composition of the backward: the sequence's dproj into a buffer, then linear's gradients of it. */
export function lstmLayerBackwardWith(k: { linearBackward: (a: LinearBackwardArgs) => void; lstmBackward: (a: LstmBackwardArgs) => void }, args: LstmLayerBackwardArgs): void {
  const { T, B, H, I, x, wih, gx, gwih, gbias } = args;
  const dproj = allocateLike(args.acts, T * B * 4 * H);
  k.lstmBackward({ ...args, dproj });
  k.linearBackward({ rows: T * B, inF: I, outF: 4 * H, g: dproj, x, w: wih, gx, gw: gwih, gb: gbias });
}
