// AssemblyScript: the forward pass of a whole LSTM sequence (float32), with
// the gate nonlinearities in f32x4. Per step: the step's rows of the input
// projection are copied into acts[s], acts[s] += h_s·W_hhᵀ by the packed gemm,
// then i, f, o = σ(·), g = tanh(·), c' = f⊙c + i⊙g, h' = o⊙tanh(c'), four
// units at a time. Everything stays in this module's memory for the whole
// sequence, so the JS side copies once in and once out, not per step.
//
// exp follows Cephes expf (range reduction by ln 2 in two parts, a degree-6
// polynomial, the power of two built in the exponent bits): ≤ 2 ulp. tanh
// uses Cephes tanhf's odd polynomial below |x| = 0.625 and
// 1 − 2/(e^{2|x|} + 1) above; σ(x) = 1/(1 + e^{−x}). The inputs are clamped
// to ±87 first, so nothing overflows; the tests bound the error against
// Math.tanh / the exact sigmoid in float32 ulps.
import { dazv, gemmPacked, packedBFloats, prepackB } from './gemm';
import { TASK_GRU_BACKWARD, TASK_GRU_FORWARD, TASK_LSTM_BACKWARD, TASK_LSTM_FORWARD, TASK_RNN_BACKWARD, TASK_RNN_FORWARD, gemm, push, rowParts, rowTask, split } from './parallel';

// Constants as a table (a v128.load in the loop, not a splat the optimizer would rebuild per iteration).
const K = memory.data<f32>([
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341, // 0   log2(e)
  0.5, 0.5, 0.5, 0.5, // 16
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // 32  ln2, high part
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // 48  ln2, low part
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, // 64  exp polynomial
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, // 80
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, // 96
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, // 112
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, // 128
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, // 144
  1.0, 1.0, 1.0, 1.0, // 160
  87.0, 87.0, 87.0, 87.0, // 176 clamp
  -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3, // 192 tanh polynomial
  2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2, // 208
  -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2, // 224
  1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1, // 240
  -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1, // 256
  0.625, 0.625, 0.625, 0.625, // 272
  2.0, 2.0, 2.0, 2.0, // 288
], 16);

@inline function k(offset: usize): v128 {
  return v128.load(K + offset);
}

@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** e^x lane-wise for x clamped to [−87, 87] (Cephes expf). */
@inline function expv(x0: v128): v128 {
  const x1 = f32x4.min(f32x4.max(x0, f32x4.neg(k(176))), k(176));
  const n = f32x4.floor(fma(x1, k(0), k(16)));
  let x = f32x4.sub(x1, f32x4.mul(n, k(32)));
  x = f32x4.sub(x, f32x4.mul(n, k(48)));
  const z = f32x4.mul(x, x);
  let p = fma(k(64), x, k(80));
  p = fma(p, x, k(96));
  p = fma(p, x, k(112));
  p = fma(p, x, k(128));
  p = fma(p, x, k(144));
  p = fma(p, z, f32x4.add(x, k(160)));
  // 2^n: n + 127 in the exponent field.
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2);
}

/** σ(x) = 1/(1 + e^{−x}). */
@inline function sigmoidv(x: v128): v128 {
  return f32x4.div(k(160), f32x4.add(k(160), expv(f32x4.neg(x))));
}

/** tanh(x): Cephes' odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above, the sign restored. */
@inline function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = fma(k(192), z, k(208));
  p = fma(p, z, k(224));
  p = fma(p, z, k(240));
  p = fma(p, z, k(256));
  const small = fma(f32x4.mul(p, z), x, x);
  const e = expv(f32x4.mul(k(288), ax));
  const big = f32x4.sub(k(160), f32x4.div(k(288), f32x4.add(e, k(160))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, k(272)));
}

function sigmoidS(x: f32): f32 {
  return f32x4.extract_lane(sigmoidv(f32x4.splat(x)), 0);
}
function tanhS(x: f32): f32 {
  return f32x4.extract_lane(tanhv(f32x4.splat(x)), 0);
}

/** Applies the nonlinearity of an element-wise function to n floats in place (for tests of the approximations). */
export function mapInPlace(kind: i32, p: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = p + <usize>i * 4;
    const v = v128.load(q);
    v128.store(q, kind == 0 ? expv(v) : kind == 1 ? sigmoidv(v) : tanhv(v));
  }
  for (; i < n; i++) {
    const q = p + <usize>i * 4;
    const v = load<f32>(q);
    store<f32>(q, kind == 0 ? f32x4.extract_lane(expv(f32x4.splat(v)), 0) : kind == 1 ? sigmoidS(v) : tanhS(v));
  }
}

/**
 * Forward of one LSTM layer and direction over T steps (byte offsets):
 * proj [B,T,4H] (batchFirst) or [T,B,4H]; whh [4H,H]; hs and cs [(T+1),B,H]
 * with hs[0], cs[0] the initial states on entry; out the h_t in proj's
 * layout; acts [T,B,4H] receives the gate activations (i, f, g, o) and tanhC
 * [T,B,H] tanh(c_t), both by processing step, for the backward pass.
 * packedW is packedBFloats(H, 4H) of scratch for W_hhᵀ packed once. The
 * batch rows are split between threads (see parallel.ts).
 */
export function lstmForward(T: i32, B: i32, H: i32, proj: usize, whh: usize, hs: usize, cs: usize, acts: usize, tanhC: usize, out: usize, batchFirst: bool, reverse: bool, pack: usize, packedW: usize): void {
  const G = 4 * H;
  prepackB(whh, 1, H, H, G, packedW);
  const parts = rowParts(T, B, G, H);
  if (parts < 2) {
    lstmForwardRows(T, B, H, proj, packedW, hs, cs, acts, tanhC, out, batchFirst, reverse, pack, 0, B);
    return;
  }
  rowTask(T, B, H, pack);
  push(<i32>proj); push(<i32>packedW); push(<i32>hs); push(<i32>cs); push(<i32>acts); push(<i32>tanhC); push(<i32>out);
  push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
  split(TASK_LSTM_FORWARD, parts);
}

/** lstmForward for batch rows b0..b1 only, with W_hhᵀ already packed: what one thread runs. */
export function lstmForwardRows(T: i32, B: i32, H: i32, proj: usize, packedW: usize, hs: usize, cs: usize, acts: usize, tanhC: usize, out: usize, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const G = 4 * H;
  const H4 = H & ~3;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const a = acts + <usize>(s * B * G) * 4;
    for (let b = b0; b < b1; b++) {
      const row = batchFirst ? b * T + t : t * B + b;
      memory.copy(a + <usize>(b * G) * 4, proj + <usize>(row * G) * 4, <usize>G * 4);
    }
    gemmPacked(b1 - b0, G, H, hs + <usize>((s * B + b0) * H) * 4, packedW, a + <usize>(b0 * G) * 4, true, pack);
    const cPrev = cs + <usize>(s * B * H) * 4;
    const cNext = cs + <usize>((s + 1) * B * H) * 4;
    const hNext = hs + <usize>((s + 1) * B * H) * 4;
    const tc = tanhC + <usize>(s * B * H) * 4;
    for (let b = b0; b < b1; b++) {
      const r = a + <usize>(b * G) * 4;
      const row = batchFirst ? b * T + t : t * B + b;
      const o = out + <usize>(row * H) * 4;
      const kb = <usize>(b * H) * 4;
      for (let j = 0; j < H4; j += 4) {
        const q = <usize>j * 4;
        const iv = sigmoidv(v128.load(r + q));
        const fv = sigmoidv(v128.load(r + <usize>H * 4 + q));
        const gv = tanhv(v128.load(r + <usize>(2 * H) * 4 + q));
        const ov = sigmoidv(v128.load(r + <usize>(3 * H) * 4 + q));
        v128.store(r + q, iv);
        v128.store(r + <usize>H * 4 + q, fv);
        v128.store(r + <usize>(2 * H) * 4 + q, gv);
        v128.store(r + <usize>(3 * H) * 4 + q, ov);
        const cv = fma(fv, v128.load(cPrev + kb + q), f32x4.mul(iv, gv));
        v128.store(cNext + kb + q, cv);
        const tcv = tanhv(cv);
        v128.store(tc + kb + q, tcv);
        const hv = f32x4.mul(ov, tcv);
        v128.store(hNext + kb + q, hv);
        v128.store(o + q, hv);
      }
      for (let j = H4; j < H; j++) {
        const q = <usize>j * 4;
        const iv = sigmoidS(load<f32>(r + q));
        const fv = sigmoidS(load<f32>(r + <usize>H * 4 + q));
        const gv = tanhS(load<f32>(r + <usize>(2 * H) * 4 + q));
        const ov = sigmoidS(load<f32>(r + <usize>(3 * H) * 4 + q));
        store<f32>(r + q, iv);
        store<f32>(r + <usize>H * 4 + q, fv);
        store<f32>(r + <usize>(2 * H) * 4 + q, gv);
        store<f32>(r + <usize>(3 * H) * 4 + q, ov);
        const cv = fv * load<f32>(cPrev + kb + q) + iv * gv;
        store<f32>(cNext + kb + q, cv);
        const tcv = tanhS(cv);
        store<f32>(tc + kb + q, tcv);
        const hv = ov * tcv;
        store<f32>(hNext + kb + q, hv);
        store<f32>(o + q, hv);
      }
    }
  }
}

/**
 * Backward of lstmForward over the same buffers, steps in reverse. On entry
 * dh and dc ([B,H]) hold the gradients of h_T and c_T; gOut holds dL/dh_t in
 * proj's layout. Writes dproj (proj's layout) and leaves dL/dh0, dL/dc0 in
 * dh and dc; with wantDw, dw ([4H,H]) = Σ_s dpre_sᵀ·h_s. dpre ([T,B,4H], by
 * processing step) and dhPrev ([B,H]) are scratch: keeping every step's dpre
 * turns the weight gradient into one product over all T·B rows after the
 * loop — dpreᵀ·hs[0..T) — instead of T products with K = B (T packings and
 * T passes over dw; a 200-step sequence spent a third of its backward
 * there). Gradients that vanish into
 * the float32 subnormal range are flushed to zero as they are produced (the
 * gemm flushes its inputs too): x86 is ~100× slower on subnormal operands,
 * which a long sequence's vanishing gradients otherwise hit at every step.
 */
export function lstmBackward(T: i32, B: i32, H: i32, acts: usize, cs: usize, tanhC: usize, hs: usize, whh: usize, gOut: usize, dh: usize, dc: usize, dproj: usize, dw: usize, dpre: usize, dhPrev: usize, batchFirst: bool, reverse: bool, wantDw: bool, pack: usize, packedW: usize): void {
  const G = 4 * H;
  prepackB(whh, H, 1, G, H, packedW);
  const parts = rowParts(T, B, G, H);
  if (parts < 2) {
    lstmBackwardRows(T, B, H, acts, cs, tanhC, hs, packedW, gOut, dh, dc, dproj, dpre, dhPrev, batchFirst, reverse, pack, 0, B);
  } else {
    rowTask(T, B, H, pack);
    push(<i32>acts); push(<i32>cs); push(<i32>tanhC); push(<i32>hs); push(<i32>packedW); push(<i32>gOut);
    push(<i32>dh); push(<i32>dc); push(<i32>dproj); push(<i32>dpre); push(<i32>dhPrev);
    push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
    split(TASK_LSTM_BACKWARD, parts);
  }
  if (wantDw) gemm(true, false, G, H, T * B, dpre, hs, dw, false, pack);
}

/** lstmBackward's recurrence for batch rows b0..b1 only, with W_hh already packed: what one thread runs (the weight gradient couples the rows and comes after). */
export function lstmBackwardRows(T: i32, B: i32, H: i32, acts: usize, cs: usize, tanhC: usize, hs: usize, packedW: usize, gOut: usize, dh: usize, dc: usize, dproj: usize, dpre: usize, dhPrev: usize, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const G = 4 * H;
  const H4 = H & ~3;
  const one = k(160);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const a = acts + <usize>(s * B * G) * 4;
    const cPrev = cs + <usize>(s * B * H) * 4;
    const tc = tanhC + <usize>(s * B * H) * 4;
    const dpreS = dpre + <usize>(s * B * G) * 4;
    for (let b = b0; b < b1; b++) {
      const r = a + <usize>(b * G) * 4;
      const q = dpreS + <usize>(b * G) * 4;
      const row = batchFirst ? b * T + t : t * B + b;
      const go = gOut + <usize>(row * H) * 4;
      const kb = <usize>(b * H) * 4;
      for (let j = 0; j < H4; j += 4) {
        const o = <usize>j * 4;
        const dhv = dazv(f32x4.add(v128.load(dh + kb + o), v128.load(go + o)));
        const iv = v128.load(r + o), fv = v128.load(r + <usize>H * 4 + o);
        const gv = v128.load(r + <usize>(2 * H) * 4 + o), ov = v128.load(r + <usize>(3 * H) * 4 + o);
        const tcv = v128.load(tc + kb + o);
        const dct = dazv(fma(f32x4.mul(dhv, ov), f32x4.sub(one, f32x4.mul(tcv, tcv)), v128.load(dc + kb + o)));
        v128.store(q + o, dazv(f32x4.mul(f32x4.mul(dct, gv), f32x4.mul(iv, f32x4.sub(one, iv)))));
        v128.store(q + <usize>H * 4 + o, dazv(f32x4.mul(f32x4.mul(dct, v128.load(cPrev + kb + o)), f32x4.mul(fv, f32x4.sub(one, fv)))));
        v128.store(q + <usize>(2 * H) * 4 + o, dazv(f32x4.mul(f32x4.mul(dct, iv), f32x4.sub(one, f32x4.mul(gv, gv)))));
        v128.store(q + <usize>(3 * H) * 4 + o, dazv(f32x4.mul(f32x4.mul(dhv, tcv), f32x4.mul(ov, f32x4.sub(one, ov)))));
        v128.store(dc + kb + o, dazv(f32x4.mul(dct, fv)));
      }
      for (let j = H4; j < H; j++) {
        const o = <usize>j * 4;
        const dhv = load<f32>(dh + kb + o) + load<f32>(go + o);
        const iv = load<f32>(r + o), fv = load<f32>(r + <usize>H * 4 + o);
        const gv = load<f32>(r + <usize>(2 * H) * 4 + o), ov = load<f32>(r + <usize>(3 * H) * 4 + o);
        const tcv = load<f32>(tc + kb + o);
        const dct = load<f32>(dc + kb + o) + dhv * ov * (1 - tcv * tcv);
        store<f32>(q + o, dct * gv * iv * (1 - iv));
        store<f32>(q + <usize>H * 4 + o, dct * load<f32>(cPrev + kb + o) * fv * (1 - fv));
        store<f32>(q + <usize>(2 * H) * 4 + o, dct * iv * (1 - gv * gv));
        store<f32>(q + <usize>(3 * H) * 4 + o, dhv * tcv * ov * (1 - ov));
        store<f32>(dc + kb + o, dct * fv);
      }
      memory.copy(dproj + <usize>(row * G) * 4, q, <usize>G * 4);
    }
    gemmPacked(b1 - b0, H, G, dpreS + <usize>(b0 * G) * 4, packedW, dhPrev + <usize>(b0 * H) * 4, false, pack);
    memory.copy(dh + <usize>(b0 * H) * 4, dhPrev + <usize>(b0 * H) * 4, <usize>((b1 - b0) * H) * 4);
  }
}

/**
 * Forward of one Elman RNN layer and direction (float32): hs [(T+1),B,H] with
 * h0 in hs[0] on entry; each step's pre-activation proj_t + h_s·W_hhᵀ is
 * built in hs[s+1] and activated in place (tanh, or relu with `relu`); out
 * gets h_t in proj's layout ([B,T,H] or [T,B,H]).
 */
export function rnnForward(T: i32, B: i32, H: i32, proj: usize, whh: usize, hs: usize, out: usize, relu: bool, batchFirst: bool, reverse: bool, pack: usize, packedW: usize): void {
  prepackB(whh, 1, H, H, H, packedW);
  const parts = rowParts(T, B, H, H);
  if (parts < 2) {
    rnnForwardRows(T, B, H, proj, packedW, hs, out, relu, batchFirst, reverse, pack, 0, B);
    return;
  }
  rowTask(T, B, H, pack);
  push(<i32>proj); push(<i32>packedW); push(<i32>hs); push(<i32>out);
  push(relu ? 1 : 0); push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
  split(TASK_RNN_FORWARD, parts);
}

/** rnnForward for batch rows b0..b1 only, with W_hhᵀ already packed: what one thread runs. */
export function rnnForwardRows(T: i32, B: i32, H: i32, proj: usize, packedW: usize, hs: usize, out: usize, relu: bool, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const H4 = H & ~3;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const next = hs + <usize>((s + 1) * B * H) * 4;
    for (let b = b0; b < b1; b++) {
      const row = batchFirst ? b * T + t : t * B + b;
      memory.copy(next + <usize>(b * H) * 4, proj + <usize>(row * H) * 4, <usize>H * 4);
    }
    gemmPacked(b1 - b0, H, H, hs + <usize>((s * B + b0) * H) * 4, packedW, next + <usize>(b0 * H) * 4, true, pack);
    for (let b = b0; b < b1; b++) {
      const p = next + <usize>(b * H) * 4;
      const row = batchFirst ? b * T + t : t * B + b;
      const o = out + <usize>(row * H) * 4;
      for (let j = 0; j < H4; j += 4) {
        const q = <usize>j * 4;
        const v = v128.load(p + q);
        const y = relu ? f32x4.max(v, f32x4.splat(0)) : tanhv(v);
        v128.store(p + q, y);
        v128.store(o + q, y);
      }
      for (let j = H4; j < H; j++) {
        const q = <usize>j * 4;
        const v = load<f32>(p + q);
        const y: f32 = relu ? (v > 0 ? v : 0) : tanhS(v);
        store<f32>(p + q, y);
        store<f32>(o + q, y);
      }
    }
  }
}

/**
 * Backward of rnnForward: dh ([B,H]) holds dL/dh_T on entry and dL/dh0 on
 * exit; gOut is dL/dh_t in proj's layout; writes dproj (proj's layout) and,
 * with wantDw, dw = Σ_s dpre_sᵀ·h_s ([H,H]), one product over all T·B rows
 * after the loop (see lstmBackward). dpre is [T,B,H] scratch.
 * Subnormal gradients are flushed to zero (see lstmBackward).
 */
export function rnnBackward(T: i32, B: i32, H: i32, hs: usize, whh: usize, gOut: usize, dh: usize, dproj: usize, dw: usize, dpre: usize, relu: bool, batchFirst: bool, reverse: bool, wantDw: bool, pack: usize, packedW: usize): void {
  prepackB(whh, H, 1, H, H, packedW);
  const parts = rowParts(T, B, H, H);
  if (parts < 2) {
    rnnBackwardRows(T, B, H, hs, packedW, gOut, dh, dproj, dpre, relu, batchFirst, reverse, pack, 0, B);
  } else {
    rowTask(T, B, H, pack);
    push(<i32>hs); push(<i32>packedW); push(<i32>gOut); push(<i32>dh); push(<i32>dproj); push(<i32>dpre);
    push(relu ? 1 : 0); push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
    split(TASK_RNN_BACKWARD, parts);
  }
  if (wantDw) gemm(true, false, H, H, T * B, dpre, hs, dw, false, pack);
}

/** rnnBackward's recurrence for batch rows b0..b1 only, with W_hh already packed: what one thread runs. */
export function rnnBackwardRows(T: i32, B: i32, H: i32, hs: usize, packedW: usize, gOut: usize, dh: usize, dproj: usize, dpre: usize, relu: bool, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const H4 = H & ~3;
  const one = k(160);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const ys = hs + <usize>((s + 1) * B * H) * 4;
    const dpreS = dpre + <usize>(s * B * H) * 4;
    for (let b = b0; b < b1; b++) {
      const row = batchFirst ? b * T + t : t * B + b;
      const go = gOut + <usize>(row * H) * 4;
      const kb = <usize>(b * H) * 4;
      for (let j = 0; j < H4; j += 4) {
        const q = <usize>j * 4;
        const d = dazv(f32x4.add(v128.load(dh + kb + q), v128.load(go + q)));
        const y = v128.load(ys + kb + q);
        const g = relu ? v128.and(d, f32x4.gt(y, f32x4.splat(0))) : f32x4.mul(d, f32x4.sub(one, f32x4.mul(y, y)));
        v128.store(dpreS + kb + q, dazv(g));
      }
      for (let j = H4; j < H; j++) {
        const q = <usize>j * 4;
        const d = load<f32>(dh + kb + q) + load<f32>(go + q);
        const y = load<f32>(ys + kb + q);
        store<f32>(dpreS + kb + q, relu ? (y > 0 ? d : 0) : d * (1 - y * y));
      }
      memory.copy(dproj + <usize>(row * H) * 4, dpreS + kb, <usize>H * 4);
    }
    gemmPacked(b1 - b0, H, H, dpreS + <usize>(b0 * H) * 4, packedW, dh + <usize>(b0 * H) * 4, false, pack);
  }
}

/**
 * Forward of one GRU layer and direction (float32, PyTorch's form, gates r, z, n):
 * per step hps[s] = b_hh + h_s·W_hhᵀ (kept: the n gate scales its n part by r),
 * r = σ(proj_r + hp_r), z = σ(proj_z + hp_z), n = tanh(proj_n + r⊙hp_n),
 * h' = (1 − z)⊙n + z⊙h. hs [(T+1),B,H] (h0 in hs[0]); hps and acts
 * [T,B,3H]; out in proj's layout; bhh is 0 when there is no bias.
 */
export function gruForward(T: i32, B: i32, H: i32, proj: usize, whh: usize, bhh: usize, hs: usize, hps: usize, acts: usize, out: usize, batchFirst: bool, reverse: bool, pack: usize, packedW: usize): void {
  const G = 3 * H;
  prepackB(whh, 1, H, H, G, packedW);
  const parts = rowParts(T, B, G, H);
  if (parts < 2) {
    gruForwardRows(T, B, H, proj, packedW, bhh, hs, hps, acts, out, batchFirst, reverse, pack, 0, B);
    return;
  }
  rowTask(T, B, H, pack);
  push(<i32>proj); push(<i32>packedW); push(<i32>bhh); push(<i32>hs); push(<i32>hps); push(<i32>acts); push(<i32>out);
  push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
  split(TASK_GRU_FORWARD, parts);
}

/** gruForward for batch rows b0..b1 only, with W_hhᵀ already packed: what one thread runs. */
export function gruForwardRows(T: i32, B: i32, H: i32, proj: usize, packedW: usize, bhh: usize, hs: usize, hps: usize, acts: usize, out: usize, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const G = 3 * H;
  const H4 = H & ~3;
  const one = k(160);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const a = <usize>(s * B * G) * 4;
    if (bhh) for (let b = b0; b < b1; b++) memory.copy(hps + a + <usize>(b * G) * 4, bhh, <usize>G * 4);
    gemmPacked(b1 - b0, G, H, hs + <usize>((s * B + b0) * H) * 4, packedW, hps + a + <usize>(b0 * G) * 4, bhh != 0, pack);
    for (let b = b0; b < b1; b++) {
      const row = batchFirst ? b * T + t : t * B + b;
      const x = proj + <usize>(row * G) * 4, hp = hps + a + <usize>(b * G) * 4, ac = acts + a + <usize>(b * G) * 4;
      const hPrev = hs + <usize>(s * B * H + b * H) * 4, hNext = hs + <usize>((s + 1) * B * H + b * H) * 4;
      const o = out + <usize>(row * H) * 4;
      for (let j = 0; j < H4; j += 4) {
        const q = <usize>j * 4, qz = <usize>(H + j) * 4, qn = <usize>(2 * H + j) * 4;
        const rv = sigmoidv(f32x4.add(v128.load(x + q), v128.load(hp + q)));
        const zv = sigmoidv(f32x4.add(v128.load(x + qz), v128.load(hp + qz)));
        const nv = tanhv(fma(rv, v128.load(hp + qn), v128.load(x + qn)));
        v128.store(ac + q, rv);
        v128.store(ac + qz, zv);
        v128.store(ac + qn, nv);
        const hv = fma(zv, v128.load(hPrev + q), f32x4.mul(f32x4.sub(one, zv), nv));
        v128.store(hNext + q, hv);
        v128.store(o + q, hv);
      }
      for (let j = H4; j < H; j++) {
        const q = <usize>j * 4, qz = <usize>(H + j) * 4, qn = <usize>(2 * H + j) * 4;
        const rv = sigmoidS(load<f32>(x + q) + load<f32>(hp + q));
        const zv = sigmoidS(load<f32>(x + qz) + load<f32>(hp + qz));
        const nv = tanhS(load<f32>(x + qn) + rv * load<f32>(hp + qn));
        store<f32>(ac + q, rv);
        store<f32>(ac + qz, zv);
        store<f32>(ac + qn, nv);
        const hv: f32 = (<f32>1 - zv) * nv + zv * load<f32>(hPrev + q);
        store<f32>(hNext + q, hv);
        store<f32>(o + q, hv);
      }
    }
  }
}

/**
 * Backward of gruForward: dh holds dL/dh_T on entry, dL/dh0 on exit; writes
 * dproj; with wantDw, dw = Σ dhpᵀ·h ([3H,H]; one product over all T·B rows
 * after the loop, see lstmBackward) and, with wantDb, db = Σ dhp ([3H],
 * zeroed here). dhp [T,B,3H] and dhPrev [B,H] are scratch.
 * dn = dh(1−z)(1−n²), dz = dh(h−n)z(1−z), dr = dn·hp_n·r(1−r);
 * dproj = (dr, dz, dn), dhp = (dr, dz, dn⊙r), dh_prev = dh⊙z + dhp·W_hh.
 */
export function gruBackward(T: i32, B: i32, H: i32, hs: usize, hps: usize, acts: usize, whh: usize, gOut: usize, dh: usize, dproj: usize, dw: usize, db: usize, dhp: usize, dhPrev: usize, batchFirst: bool, reverse: bool, wantDw: bool, wantDb: bool, pack: usize, packedW: usize): void {
  const G = 3 * H;
  prepackB(whh, H, 1, G, H, packedW);
  const parts = rowParts(T, B, G, H);
  if (parts < 2) {
    gruBackwardRows(T, B, H, hs, hps, acts, packedW, gOut, dh, dproj, dhp, dhPrev, batchFirst, reverse, pack, 0, B);
  } else {
    rowTask(T, B, H, pack);
    push(<i32>hs); push(<i32>hps); push(<i32>acts); push(<i32>packedW); push(<i32>gOut); push(<i32>dh); push(<i32>dproj); push(<i32>dhp); push(<i32>dhPrev);
    push(batchFirst ? 1 : 0); push(reverse ? 1 : 0);
    split(TASK_GRU_BACKWARD, parts);
  }
  // The bias and weight gradients couple the rows: summed after the split, in a fixed order (steps backwards, rows forwards).
  if (wantDb) {
    memory.fill(db, 0, <usize>G * 4);
    for (let s = T - 1; s >= 0; s--) {
      for (let b = 0; b < B; b++) {
        const dq = dhp + <usize>((s * B + b) * G) * 4;
        for (let j = 0; j < G; j++) store<f32>(db + <usize>j * 4, load<f32>(db + <usize>j * 4) + load<f32>(dq + <usize>j * 4));
      }
    }
  }
  if (wantDw) gemm(true, false, G, H, T * B, dhp, hs, dw, false, pack);
}

/** gruBackward's recurrence for batch rows b0..b1 only, with W_hh already packed: what one thread runs. */
export function gruBackwardRows(T: i32, B: i32, H: i32, hs: usize, hps: usize, acts: usize, packedW: usize, gOut: usize, dh: usize, dproj: usize, dhp: usize, dhPrev: usize, batchFirst: bool, reverse: bool, pack: usize, b0: i32, b1: i32): void {
  const G = 3 * H;
  const H4 = H & ~3;
  const one = k(160);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const a = <usize>(s * B * G) * 4;
    const dhpS = dhp + a;
    for (let b = b0; b < b1; b++) {
      const row = batchFirst ? b * T + t : t * B + b;
      const go = gOut + <usize>(row * H) * 4, hp = hps + a + <usize>(b * G) * 4, ac = acts + a + <usize>(b * G) * 4;
      const hPrev = hs + <usize>(s * B * H + b * H) * 4, kb = <usize>(b * H) * 4;
      const dx = dproj + <usize>(row * G) * 4, dq = dhpS + <usize>(b * G) * 4;
      for (let j = 0; j < H4; j += 4) {
        const q = <usize>j * 4, qz = <usize>(H + j) * 4, qn = <usize>(2 * H + j) * 4;
        const rv = v128.load(ac + q), zv = v128.load(ac + qz), nv = v128.load(ac + qn);
        const d = dazv(f32x4.add(v128.load(dh + kb + q), v128.load(go + q)));
        const dn = dazv(f32x4.mul(f32x4.mul(d, f32x4.sub(one, zv)), f32x4.sub(one, f32x4.mul(nv, nv))));
        const dz = dazv(f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(hPrev + q), nv)), f32x4.mul(zv, f32x4.sub(one, zv))));
        const dr = dazv(f32x4.mul(f32x4.mul(dn, v128.load(hp + qn)), f32x4.mul(rv, f32x4.sub(one, rv))));
        v128.store(dx + q, dr);
        v128.store(dx + qz, dz);
        v128.store(dx + qn, dn);
        v128.store(dq + q, dr);
        v128.store(dq + qz, dz);
        v128.store(dq + qn, dazv(f32x4.mul(dn, rv)));
        v128.store(dhPrev + kb + q, dazv(f32x4.mul(d, zv)));
      }
      for (let j = H4; j < H; j++) {
        const q = <usize>j * 4, qz = <usize>(H + j) * 4, qn = <usize>(2 * H + j) * 4;
        const rv = load<f32>(ac + q), zv = load<f32>(ac + qz), nv = load<f32>(ac + qn);
        const d = load<f32>(dh + kb + q) + load<f32>(go + q);
        const dn = d * (1 - zv) * (1 - nv * nv);
        const dz = d * (load<f32>(hPrev + q) - nv) * zv * (1 - zv);
        const dr = dn * load<f32>(hp + qn) * rv * (1 - rv);
        store<f32>(dx + q, dr);
        store<f32>(dx + qz, dz);
        store<f32>(dx + qn, dn);
        store<f32>(dq + q, dr);
        store<f32>(dq + qz, dz);
        store<f32>(dq + qn, dn * rv);
        store<f32>(dhPrev + kb + q, d * zv);
      }
    }
    gemmPacked(b1 - b0, H, G, dhpS + <usize>(b0 * G) * 4, packedW, dhPrev + <usize>(b0 * H) * 4, true, pack);
    memory.copy(dh + <usize>(b0 * H) * 4, dhPrev + <usize>(b0 * H) * 4, <usize>((b1 - b0) * H) * 4);
  }
}
