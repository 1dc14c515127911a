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
import { gruSequenceComposite, rnnSequenceComposite } from './recurrent-composite.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, floatData, wrap } from './util.js';
import { checkOptions, optionalBoolean, optionalChoice } from '../validate.js';

interface Layout {
  T: number;
  B: number;
  H: number;
  G: number;
  batchFirst: boolean;
  reverse: boolean;
}


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
  // Higher-order gradients replay the step-by-step composite (same math) from the saved arguments.
  composite: rnnSequenceComposite,
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
  // Higher-order gradients replay the step-by-step composite (same math) from the saved arguments.
  composite: gruSequenceComposite,
  forward(proj: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, batchFirst: boolean, reverse: boolean) {
    const L = layout('gruSequence', 3, proj, h0, whh, bhh, batchFirst, reverse);
    const { T, B, H, G } = L;
    const dtype = proj.dtype as 'float64';
    const hs = allocate(dtype, (T + 1) * B * H);
    hs.set(floatData(h0));
    // Per step: hp = h·W_hhᵀ + b_hh (the n gate needs r⊙hp_n) and the gates r, z, n, saved for backward.
    const hps = allocate(dtype, T * B * G);
    const acts = allocate(dtype, T * B * G);
    const out = allocate(dtype, T * B * H);
    kernels.gruForward({ T, B, H, proj: floatData(proj), whh: floatData(whh), bhh: bhh ? floatData(bhh) : null, hs, hps, acts, out, batchFirst, reverse });
    return { outs: [wrap(out, batchFirst ? [B, T, H] : [T, B, H]), wrap(hs.slice(T * B * H), [B, H])], saved: { L, hs, hps, acts, whh, bhh, proj, h0 } };
  },
  // As gruCell (see kernels.gruBackward for the formulas).
  backward({ L, hs, hps, acts, whh, bhh, proj, h0 }, [gOut, gHn]) {
    const { T, B, H, G } = L;
    const dtype = proj.dtype as 'float64';
    const dproj = allocate(dtype, T * B * G);
    const dh = floatData(gHn!).slice() as FloatArray;
    const dw = whh.requiresGrad ? allocate(dtype, G * H) : null;
    const db = bhh && bhh.requiresGrad ? allocate(dtype, G) : null;
    kernels.gruBackward({ T, B, H, hs, hps, acts, whh: floatData(whh), gOut: floatData(gOut!), dh, dproj, dw, db, batchFirst: L.batchFirst, reverse: L.reverse });
    return [wrap(dproj, [...proj.shape]), h0.requiresGrad ? wrap(dh, [B, H]) : null, dw && wrap(dw, [G, H]), db && wrap(db, [G])];
  },
});

/**
 * A whole Elman RNN sequence in one op: proj = x·W_ihᵀ + b_ih + b_hh for every
 * step ([B, T, H] with batchFirst, else [T, B, H]), h0 [B, H]. Returns [out, h_T].
 */
export function rnnSequence(proj: Tensor, h0: Tensor, weightHh: Tensor, options: { nonlinearity?: 'tanh' | 'relu'; batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor] {
  checkOptions('rnnSequence', options, ['nonlinearity', 'batchFirst', 'reverse']);
  const relu = optionalChoice('rnnSequence', 'nonlinearity', options.nonlinearity, ['tanh', 'relu'], 'tanh') === 'relu';
  return rnnSequenceOp(proj, h0, weightHh, relu, optionalBoolean('rnnSequence', 'batchFirst', options.batchFirst, false), optionalBoolean('rnnSequence', 'reverse', options.reverse, false)) as [Tensor, Tensor];
}

/**
 * A whole GRU sequence in one op (PyTorch's form, gates r, z, n): proj =
 * x·W_ihᵀ + b_ih for every step ([B, T, 3H] or [T, B, 3H]), h0 [B, H], b_hh
 * applied inside (the n gate scales it by r). Returns [out, h_T].
 */
export function gruSequence(proj: Tensor, h0: Tensor, weightHh: Tensor, biasHh: Tensor | null, options: { batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor] {
  checkOptions('gruSequence', options, ['batchFirst', 'reverse']);
  return gruSequenceOp(proj, h0, weightHh, biasHh ?? null, optionalBoolean('gruSequence', 'batchFirst', options.batchFirst, false), optionalBoolean('gruSequence', 'reverse', options.reverse, false)) as [Tensor, Tensor];
}
