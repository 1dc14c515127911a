/**
 * Fused recurrent cells. Each takes the input projection gx = x·W_ihᵀ + b
 * (computed for the whole sequence by one matmul), the previous state and
 * W_hh, and does the hidden matmul, every gate nonlinearity and the state
 * update in one forward and one backward — no per-gate tensors on the tape.
 * PyTorch layouts and gate orders (LSTM i,f,g,o; GRU r,z,n). The composite
 * forms in @tapegrad/nn are checked against these.
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, formatShape, kernels } from '../backend/index.js';
import { ShapeError } from '../errors.js';
import { defineMultiOp, defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, floatData, wrap } from './util.js';
import { optionalChoice } from '../validate.js';

function checkCell(op: string, gx: Tensor, h: Tensor, whh: Tensor, gates: number): { B: number; H: number } {
  assertFloat(op, 'gx', gx);
  assertSameDType(op, gx, h, ['gx', 'h']);
  assertSameDType(op, gx, whh, ['gx', 'weight_hh']);
  if (h.ndim !== 2) throw new ShapeError(op, `hidden state must be [batch, hidden], got ${formatShape(h.shape)}`);
  const [B, H] = h.shape as [number, number];
  if (gx.ndim !== 2 || gx.shape[0] !== B || gx.shape[1] !== gates * H) throw new ShapeError(op, `input projection must be [${B}, ${gates * H}] for hidden state ${formatShape(h.shape)}, got ${formatShape(gx.shape)}`);
  if (whh.ndim !== 2 || whh.shape[0] !== gates * H || whh.shape[1] !== H) throw new ShapeError(op, `weight_hh must be [${gates * H}, ${H}], got ${formatShape(whh.shape)}`);
  return { B, H };
}

/** pre = gx + h·W_hhᵀ, a fresh [B, G·H] array. */
function preActivation(gx: Tensor, h: Tensor, whh: Tensor, B: number, GH: number, H: number): FloatArray {
  const pre = floatData(gx).slice();
  kernels.gemm({ transA: false, transB: true, M: B, N: GH, K: H, a: floatData(h), aOffset: 0, b: floatData(whh), bOffset: 0, c: pre, cOffset: 0, accumulate: true });
  return pre;
}

/** Backward of pre = gx + h·W_hhᵀ given d(pre): returns [d gx, d h, d W_hh]. */
function preActivationBackward(dpre: FloatArray, h: Tensor, whh: Tensor, B: number, GH: number, H: number, extraDh?: FloatArray): [Tensor, Tensor | null, Tensor | null] {
  let dh: Tensor | null = null, dw: Tensor | null = null;
  if (h.requiresGrad || extraDh) {
    const d = extraDh ?? allocate(h.dtype as 'float64', B * H);
    kernels.gemm({ transA: false, transB: false, M: B, N: H, K: GH, a: dpre, aOffset: 0, b: floatData(whh), bOffset: 0, c: d, cOffset: 0, accumulate: extraDh !== undefined });
    dh = wrap(d, h.shape);
  }
  if (whh.requiresGrad) {
    const d = allocate(whh.dtype as 'float64', GH * H);
    kernels.gemm({ transA: true, transB: false, M: GH, N: H, K: B, a: dpre, aOffset: 0, b: floatData(h), bOffset: 0, c: d, cOffset: 0, accumulate: false });
    dw = wrap(d, whh.shape);
  }
  return [wrap(dpre, [B, GH]), dh, dw];
}

const rnnCellOp = defineOp({
  name: 'rnnCell',
  forward(gx: Tensor, h: Tensor, whh: Tensor, relu: boolean) {
    const { B, H } = checkCell('rnnCell', gx, h, whh, 1);
    const y = preActivation(gx, h, whh, B, H, H);
    for (let i = 0; i < y.length; i++) y[i] = relu ? (y[i]! > 0 ? y[i]! : 0) : Math.tanh(y[i]!);
    const out = wrap(y, [B, H]);
    return { out, saved: { h, whh, y, B, H, relu } };
  },
  // d pre = dh' · (1 − h'²) for tanh, dh' · [h' > 0] for relu
  backward({ h, whh, y, B, H, relu }, g) {
    const gd = floatData(g);
    const dpre = allocate(h.dtype as 'float64', B * H);
    for (let i = 0; i < dpre.length; i++) dpre[i] = relu ? (y[i]! > 0 ? gd[i]! : 0) : gd[i]! * (1 - y[i]! * y[i]!);
    return preActivationBackward(dpre, h, whh, B, H, H);
  },
});

/** h' = tanh(gx + h·W_hhᵀ) (or relu): one Elman RNN step; gx already holds both biases. */
export function rnnCell(gx: Tensor, h: Tensor, weightHh: Tensor, nonlinearity: 'tanh' | 'relu' = 'tanh'): Tensor {
  cellArgs('rnnCell', { gx, h, weightHh });
  optionalChoice('rnnCell', 'nonlinearity', nonlinearity, ['tanh', 'relu'], 'tanh');
  return rnnCellOp(gx, h, weightHh, nonlinearity === 'relu');
}

const lstmCellOp = defineMultiOp({
  name: 'lstmCell',
  forward(gx: Tensor, h: Tensor, c: Tensor, whh: Tensor) {
    const { B, H } = checkCell('lstmCell', gx, h, whh, 4);
    assertSameDType('lstmCell', gx, c, ['gx', 'c']);
    if (c.shape[0] !== B || c.shape[1] !== H || c.ndim !== 2) throw new ShapeError('lstmCell', `cell state must be [${B}, ${H}], got ${formatShape(c.shape)}`);
    const G = 4 * H;
    // act holds i, f, g, o after their nonlinearities, row by row.
    const act = preActivation(gx, h, whh, B, G, H);
    const cd = floatData(c);
    const hNew = allocate(h.dtype as 'float64', B * H);
    const cNew = allocate(h.dtype as 'float64', B * H);
    const tanhC = allocate(h.dtype as 'float64', B * H);
    for (let b = 0; b < B; b++) {
      const r = b * G;
      for (let j = 0; j < H; j++) {
        const iv = 1 / (1 + Math.exp(-act[r + j]!));
        const fv = 1 / (1 + Math.exp(-act[r + H + j]!));
        const gv = Math.tanh(act[r + 2 * H + j]!);
        const ov = 1 / (1 + Math.exp(-act[r + 3 * H + j]!));
        act[r + j] = iv;
        act[r + H + j] = fv;
        act[r + 2 * H + j] = gv;
        act[r + 3 * H + j] = ov;
        const k = b * H + j;
        const cv = fv * cd[k]! + iv * gv;
        cNew[k] = cv;
        const tc = Math.tanh(cv);
        tanhC[k] = tc;
        hNew[k] = ov * tc;
      }
    }
    return { outs: [wrap(hNew, [B, H]), wrap(cNew, [B, H])], saved: { h, c, whh, act, tanhC, B, H } };
  },
  // c' = f⊙c + i⊙g, h' = o⊙tanh(c'):  dc_tot = dc' + dh'⊙o⊙(1 − tanh²c')
  // d i = dc_tot⊙g⊙i(1−i), d f = dc_tot⊙c⊙f(1−f), d g = dc_tot⊙i⊙(1−g²), d o = dh'⊙tanh c'⊙o(1−o), dc = dc_tot⊙f
  backward({ h, c, whh, act, tanhC, B, H }, [gh, gc]) {
    const G = 4 * H;
    const dh = floatData(gh!), dcOut = floatData(gc!), cd = floatData(c);
    const dpre = allocate(h.dtype as 'float64', B * G);
    const dc = c.requiresGrad ? allocate(c.dtype as 'float64', B * H) : null;
    for (let b = 0; b < B; b++) {
      const r = b * G;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const iv = act[r + j]!, fv = act[r + H + j]!, gv = act[r + 2 * H + j]!, ov = act[r + 3 * H + j]!;
        const tc = tanhC[k]!;
        const dct = dcOut[k]! + dh[k]! * ov * (1 - tc * tc);
        dpre[r + j] = dct * gv * iv * (1 - iv);
        dpre[r + H + j] = dct * cd[k]! * fv * (1 - fv);
        dpre[r + 2 * H + j] = dct * iv * (1 - gv * gv);
        dpre[r + 3 * H + j] = dh[k]! * tc * ov * (1 - ov);
        if (dc) dc[k] = dct * fv;
      }
    }
    const [dgx, dhPrev, dw] = preActivationBackward(dpre, h, whh, B, G, H);
    return [dgx, dhPrev, dc && wrap(dc, c.shape), dw];
  },
});

/**
 * One LSTM step with gates (i, f, g, o) = (σ, σ, tanh, σ)(gx + h·W_hhᵀ):
 * c' = f⊙c + i⊙g, h' = o⊙tanh(c'). Returns [h', c'].
 */
export function lstmCell(gx: Tensor, h: Tensor, c: Tensor, weightHh: Tensor): [Tensor, Tensor] {
  cellArgs('lstmCell', { gx, h, c, weightHh });
  const [hNew, cNew] = lstmCellOp(gx, h, c, weightHh) as [Tensor, Tensor];
  return [hNew, cNew];
}

const gruCellOp = defineOp({
  name: 'gruCell',
  forward(gx: Tensor, h: Tensor, whh: Tensor, bhh: Tensor | null) {
    const { B, H } = checkCell('gruCell', gx, h, whh, 3);
    const G = 3 * H;
    if (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== G)) throw new ShapeError('gruCell', `bias_hh must be [${G}], got ${formatShape(bhh.shape)}`);
    // hp = h·W_hhᵀ + b_hh (kept: the n gate uses r ⊙ hp_n)
    const hp = allocate(h.dtype as 'float64', B * G);
    if (bhh) for (let b = 0; b < B; b++) hp.set(floatData(bhh), b * G);
    kernels.gemm({ transA: false, transB: true, M: B, N: G, K: H, a: floatData(h), aOffset: 0, b: floatData(whh), bOffset: 0, c: hp, cOffset: 0, accumulate: bhh !== null });
    const xg = floatData(gx), hd = floatData(h);
    const act = allocate(h.dtype as 'float64', B * G); // r, z, n after nonlinearities
    const hNew = allocate(h.dtype as 'float64', B * H);
    for (let b = 0; b < B; b++) {
      const r0 = b * G;
      for (let j = 0; j < H; j++) {
        const rv = 1 / (1 + Math.exp(-(xg[r0 + j]! + hp[r0 + j]!)));
        const zv = 1 / (1 + Math.exp(-(xg[r0 + H + j]! + hp[r0 + H + j]!)));
        const nv = Math.tanh(xg[r0 + 2 * H + j]! + rv * hp[r0 + 2 * H + j]!);
        act[r0 + j] = rv;
        act[r0 + H + j] = zv;
        act[r0 + 2 * H + j] = nv;
        hNew[b * H + j] = (1 - zv) * nv + zv * hd[b * H + j]!;
      }
    }
    return { out: wrap(hNew, [B, H]), saved: { h, whh, bhh, hp, act, B, H } };
  },
  // h' = (1−z)⊙n + z⊙h, n = tanh(xn + r⊙hn), r = σ(xr + hr), z = σ(xz + hz)
  backward({ h, whh, bhh, hp, act, B, H }, g) {
    const G = 3 * H;
    const dh = floatData(g), hd = floatData(h);
    const dgx = allocate(h.dtype as 'float64', B * G);
    const dhp = allocate(h.dtype as 'float64', B * G);
    const dhDirect = allocate(h.dtype as 'float64', B * H);
    for (let b = 0; b < B; b++) {
      const r0 = b * G;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const rv = act[r0 + j]!, zv = act[r0 + H + j]!, nv = act[r0 + 2 * H + j]!;
        const d = dh[k]!;
        const dn = d * (1 - zv) * (1 - nv * nv);
        const dz = d * (hd[k]! - nv) * zv * (1 - zv);
        const dr = dn * hp[r0 + 2 * H + j]! * rv * (1 - rv);
        dgx[r0 + j] = dr;
        dgx[r0 + H + j] = dz;
        dgx[r0 + 2 * H + j] = dn;
        dhp[r0 + j] = dr;
        dhp[r0 + H + j] = dz;
        dhp[r0 + 2 * H + j] = dn * rv;
        dhDirect[k] = d * zv;
      }
    }
    const [, dhPrev, dw] = preActivationBackward(dhp, h, whh, B, G, H, dhDirect);
    let db: Tensor | null = null;
    if (bhh && bhh.requiresGrad) {
      const d = allocate(bhh.dtype as 'float64', G);
      for (let b = 0; b < B; b++) for (let j = 0; j < G; j++) d[j] += dhp[b * G + j]!;
      db = wrap(d, [G]);
    }
    return [wrap(dgx, [B, G]), h.requiresGrad ? dhPrev : null, dw, db];
  },
});

/**
 * One GRU step (PyTorch's form): with gx = x·W_ihᵀ + b_ih and hp = h·W_hhᵀ + b_hh,
 * r = σ(gx_r + hp_r), z = σ(gx_z + hp_z), n = tanh(gx_n + r⊙hp_n), h' = (1 − z)⊙n + z⊙h.
 */
export function gruCell(gx: Tensor, h: Tensor, weightHh: Tensor, biasHh?: Tensor | null): Tensor {
  cellArgs('gruCell', biasHh === undefined || biasHh === null ? { gx, h, weightHh } : { gx, h, weightHh, biasHh });
  return gruCellOp(gx, h, weightHh, biasHh ?? null);
}

/** The fused cells' arguments: float tensors of one dtype (their kernels then check the shapes). */
function cellArgs(op: string, args: Record<string, unknown>): void {
  let first: Tensor | null = null;
  for (const [name, t] of Object.entries(args)) {
    assertFloat(op, name, t as Tensor);
    if (first) assertSameDType(op, first, t as Tensor, ['gx', name]);
    else first = t as Tensor;
  }
}
