/**
 * Sequence-fused Elman RNN and GRU: one op per layer and direction, as
 * lstmSequence (see there): the time loop runs inside the op, W_hh (and the
 * GRU's b_hh) gradients accumulate in place, no per-step tensors or records.
 * Same math as rnnCell / gruCell, which the layers keep for keepStates.
 * Their recurrent products go through kernels.gemm (WebAssembly for float32).
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, formatShape, kernels } from '../backend/index.js';
import { ShapeError } from '../errors.js';
import { defineMultiOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, floatData, wrap } from './util.js';

interface Layout {
  T: number;
  B: number;
  H: number;
  G: number;
  batchFirst: boolean;
  reverse: boolean;
}

const rowOf = (L: Layout, t: number, b: number) => (L.batchFirst ? b * L.T + t : t * L.B + b);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Checks the shared arguments; returns the layout. */
function layout(op: string, gates: number, proj: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, batchFirst: boolean, reverse: boolean): Layout {
  for (const [name, t] of [['proj', proj], ['h0', h0], ['weight_hh', whh], ...(bhh ? [['bias_hh', bhh] as const] : [])] as const) {
    assertFloat(op, name, t);
    assertSameDType(op, proj, t, ['proj', name]);
  }
  if (h0.ndim !== 2) throw new ShapeError(op, `h0 must be [batch, hidden], got ${formatShape(h0.shape)}`);
  const [B, H] = h0.shape as [number, number];
  const G = gates * H;
  if (proj.ndim !== 3 || proj.shape[batchFirst ? 0 : 1] !== B || proj.shape[2] !== G) throw new ShapeError(op, `proj must be ${batchFirst ? `[${B}, T, ${G}]` : `[T, ${B}, ${G}]`}, got ${formatShape(proj.shape)}`);
  if (whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H) throw new ShapeError(op, `weight_hh must be [${G}, ${H}], got ${formatShape(whh.shape)}`);
  if (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== G)) throw new ShapeError(op, `bias_hh must be [${G}], got ${formatShape(bhh.shape)}`);
  const T = proj.shape[batchFirst ? 1 : 0]!;
  if (T === 0) throw new ShapeError(op, 'the sequence is empty');
  return { T, B, H, G, batchFirst, reverse };
}

const rnnSequenceOp = defineMultiOp({
  name: 'rnnSequence',
  forward(proj: Tensor, h0: Tensor, whh: Tensor, relu: boolean, batchFirst: boolean, reverse: boolean) {
    const L = layout('rnnSequence', 1, proj, h0, whh, null, batchFirst, reverse);
    const { T, B, H } = L;
    const dtype = proj.dtype as 'float64';
    const hs = allocate(dtype, (T + 1) * B * H);
    hs.set(floatData(h0));
    const out = allocate(dtype, T * B * H);
    kernels.rnnForward({ T, B, H, proj: floatData(proj), whh: floatData(whh), hs, out, relu, batchFirst, reverse });
    return { outs: [wrap(out, batchFirst ? [B, T, H] : [T, B, H]), wrap(hs.slice(T * B * H), [B, H])], saved: { L, hs, relu, whh, proj, h0 } };
  },
  // dpre = dh ⊙ (1 − h'²) (tanh) or dh ⊙ [h' > 0] (relu); dh_prev = dpre·W_hh; dW_hh += dpreᵀ·h (kernels.rnnBackward).
  backward({ L, hs, relu, whh, proj, h0 }, [gOut, gHn]) {
    const { T, B, H } = L;
    const dtype = proj.dtype as 'float64';
    const dproj = allocate(dtype, T * B * H);
    const dh = floatData(gHn!).slice() as FloatArray;
    const dw = whh.requiresGrad ? allocate(dtype, H * H) : null;
    kernels.rnnBackward({ T, B, H, hs, whh: floatData(whh), gOut: floatData(gOut!), dh, dproj, dw, relu, batchFirst: L.batchFirst, reverse: L.reverse });
    return [wrap(dproj, [...proj.shape]), h0.requiresGrad ? wrap(dh, [B, H]) : null, dw && wrap(dw, [H, H])];
  },
});

const gruSequenceOp = defineMultiOp({
  name: 'gruSequence',
  forward(proj: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, batchFirst: boolean, reverse: boolean) {
    const L = layout('gruSequence', 3, proj, h0, whh, bhh, batchFirst, reverse);
    const { T, B, H, G } = L;
    const dtype = proj.dtype as 'float64';
    const pd = floatData(proj), w = floatData(whh), bd = bhh ? floatData(bhh) : null;
    const hs = allocate(dtype, (T + 1) * B * H);
    hs.set(floatData(h0));
    // Per step: hp = h·W_hhᵀ + b_hh (the n gate needs r⊙hp_n) and the gates r, z, n.
    const hps = allocate(dtype, T * B * G);
    const acts = allocate(dtype, T * B * G);
    const out = allocate(dtype, T * B * H);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const a = s * B * G;
      if (bd) for (let b = 0; b < B; b++) hps.set(bd, a + b * G);
      kernels.gemm({ transA: false, transB: true, M: B, N: G, K: H, a: hs, aOffset: s * B * H, b: w, bOffset: 0, c: hps, cOffset: a, accumulate: bd !== null });
      for (let b = 0; b < B; b++) {
        const r = a + b * G, x = rowOf(L, t, b) * G, o = rowOf(L, t, b) * H;
        for (let j = 0; j < H; j++) {
          const rv = sigmoid(pd[x + j]! + hps[r + j]!);
          const zv = sigmoid(pd[x + H + j]! + hps[r + H + j]!);
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
    return { outs: [wrap(out, batchFirst ? [B, T, H] : [T, B, H]), wrap(hs.slice(T * B * H), [B, H])], saved: { L, hs, hps, acts, whh, bhh, proj, h0 } };
  },
  // As gruCell: dn = dh(1−z)(1−n²), dz = dh(h−n)z(1−z), dr = dn·hp_n·r(1−r); d gx = (dr, dz, dn);
  // d hp = (dr, dz, dn·r); dh_prev = dh·z + d hp·W_hh; dW_hh += d hpᵀ·h; db_hh += Σ_b d hp.
  backward({ L, hs, hps, acts, whh, bhh, proj, h0 }, [gOut, gHn]) {
    const { T, B, H, G } = L;
    const dtype = proj.dtype as 'float64';
    const go = floatData(gOut!), w = floatData(whh);
    const dproj = allocate(dtype, T * B * G);
    const dh = floatData(gHn!).slice() as FloatArray;
    const dhp = allocate(dtype, B * G);
    const dhPrev = allocate(dtype, B * H);
    const dw = whh.requiresGrad ? allocate(dtype, G * H) : null;
    const db = bhh && bhh.requiresGrad ? allocate(dtype, G) : null;
    for (let s = T - 1; s >= 0; s--) {
      const t = L.reverse ? T - 1 - s : s;
      const a = s * B * G;
      for (let b = 0; b < B; b++) {
        const r = a + b * G, q = b * G, x = rowOf(L, t, b) * G, o = rowOf(L, t, b) * H;
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
      }
      kernels.gemm({ transA: false, transB: false, M: B, N: H, K: G, a: dhp, aOffset: 0, b: w, bOffset: 0, c: dhPrev, cOffset: 0, accumulate: true });
      dh.set(dhPrev);
      if (dw) kernels.gemm({ transA: true, transB: false, M: G, N: H, K: B, a: dhp, aOffset: 0, b: hs, bOffset: s * B * H, c: dw, cOffset: 0, accumulate: true });
      if (db) for (let b = 0; b < B; b++) for (let j = 0; j < G; j++) db[j] += dhp[b * G + j]!;
    }
    return [wrap(dproj, [...proj.shape]), h0.requiresGrad ? wrap(dh, [B, H]) : null, dw && wrap(dw, [G, H]), db && wrap(db, [G])];
  },
});

/**
 * A whole Elman RNN sequence in one op: proj = x·W_ihᵀ + b_ih + b_hh for every
 * step ([B, T, H] with batchFirst, else [T, B, H]), h0 [B, H]. Returns [out, h_T].
 */
export function rnnSequence(proj: Tensor, h0: Tensor, weightHh: Tensor, options: { nonlinearity?: 'tanh' | 'relu'; batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor] {
  return rnnSequenceOp(proj, h0, weightHh, options.nonlinearity === 'relu', options.batchFirst ?? false, options.reverse ?? false) as [Tensor, Tensor];
}

/**
 * A whole GRU sequence in one op (PyTorch's form, gates r, z, n): proj =
 * x·W_ihᵀ + b_ih for every step ([B, T, 3H] or [T, B, 3H]), h0 [B, H], b_hh
 * applied inside (the n gate scales it by r). Returns [out, h_T].
 */
export function gruSequence(proj: Tensor, h0: Tensor, weightHh: Tensor, biasHh: Tensor | null, options: { batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor] {
  return gruSequenceOp(proj, h0, weightHh, biasHh, options.batchFirst ?? false, options.reverse ?? false) as [Tensor, Tensor];
}
