/**
 * The sequence-fused LSTM: one op for a whole sequence and direction. The
 * forward loops over time inside the op (one gemm h·W_hhᵀ per step into a
 * reused buffer, then the gate math), the backward loops back (one gemm for
 * dh, one accumulating gemm into the single dW_hh buffer per step). No
 * per-step tensors, no per-step tape records, no per-step gradient of W_hh
 * summed one by one — the overhead that made a 200-step sequence cost a
 * fifth of its step in bookkeeping. Same math and gate order (i, f, g, o) as
 * lstmCell, which the layer keeps for per-step state access (keepStates);
 * a property test checks the two and the composite agree.
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, formatShape, kernels } from '../backend/index.js';
import { ShapeError } from '../errors.js';
import { defineMultiOp } from '../op.js';
import { lstmSequenceComposite } from './recurrent-composite.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, floatData, wrap } from './util.js';
import { checkOptions, optionalBoolean } from '../validate.js';

/** Layout of the projection and output: [batch, time, feature] or [time, batch, feature]. */
interface SeqLayout {
  T: number;
  B: number;
  H: number;
  batchFirst: boolean;
  reverse: boolean;
}

/** The buffers an LSTM sequence forward fills (by processing step; see lstmForward), with h0 and c0 in place as step 0's states. */
export function lstmForwardBuffers(dtype: 'float32' | 'float64', T: number, B: number, H: number, h0: Tensor, c0: Tensor) {
  const hs = allocate(dtype, (T + 1) * B * H);
  const cs = allocate(dtype, (T + 1) * B * H);
  hs.set(floatData(h0));
  cs.set(floatData(c0));
  return { acts: allocate(dtype, T * B * 4 * H), hs, cs, tanhC: allocate(dtype, T * B * H), out: allocate(dtype, T * B * H) };
}

/** The op's outputs from the filled buffers: [out in the input's layout, h_T, c_T]. */
export function lstmForwardOutputs({ out, hs, cs }: { out: FloatArray; hs: FloatArray; cs: FloatArray }, T: number, B: number, H: number, batchFirst: boolean): Tensor[] {
  return [wrap(out, batchFirst ? [B, T, H] : [T, B, H]), wrap(hs.slice(T * B * H), [B, H]), wrap(cs.slice(T * B * H), [B, H])];
}

const lstmSequenceOp = defineMultiOp({
  name: 'lstmSequence',
  // Higher-order gradients replay the step-by-step composite (same math) from the saved arguments.
  composite: lstmSequenceComposite,
  forward(proj: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, batchFirst: boolean, reverse: boolean) {
    for (const [name, t] of [['proj', proj], ['h0', h0], ['c0', c0], ['weight_hh', whh]] as const) {
      assertFloat('lstmSequence', name, t);
      assertSameDType('lstmSequence', proj, t, ['proj', name]);
    }
    if (h0.ndim !== 2 || c0.ndim !== 2 || h0.shape.join() !== c0.shape.join()) throw new ShapeError('lstmSequence', `h0 and c0 must both be [batch, hidden], got ${formatShape(h0.shape)} and ${formatShape(c0.shape)}`);
    const [B, H] = h0.shape as [number, number];
    const G = 4 * H;
    if (proj.ndim !== 3 || proj.shape[batchFirst ? 0 : 1] !== B || proj.shape[2] !== G) throw new ShapeError('lstmSequence', `proj must be ${batchFirst ? `[${B}, T, ${G}]` : `[T, ${B}, ${G}]`}, got ${formatShape(proj.shape)}`);
    if (whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H) throw new ShapeError('lstmSequence', `weight_hh must be [${G}, ${H}], got ${formatShape(whh.shape)}`);
    const T = proj.shape[batchFirst ? 1 : 0]!;
    if (T === 0) throw new ShapeError('lstmSequence', 'the sequence is empty');
    const L: SeqLayout = { T, B, H, batchFirst, reverse };
    // Saved for backward, indexed by processing step s (s = 0 is the first step run):
    // acts[s] the gate activations, hs[s] / cs[s] the states entering step s (hs[T], cs[T] the final ones).
    const buf = lstmForwardBuffers(proj.dtype as 'float64', T, B, H, h0, c0);
    const { acts, hs, cs, tanhC } = buf;
    kernels.lstmForward({ T, B, H, proj: floatData(proj), whh: floatData(whh), ...buf, batchFirst, reverse });
    return { outs: lstmForwardOutputs(buf, T, B, H, batchFirst), saved: { L, acts, hs, cs, tanhC, whh, proj, h0, c0 } };
  },
  // Per step, as lstmCell: dc_tot = dc' + dh'⊙o⊙(1 − tanh²c'); d i = dc_tot⊙g⊙i(1−i), d f = dc_tot⊙c⊙f(1−f),
  // d g = dc_tot⊙i⊙(1−g²), d o = dh'⊙tanh c'⊙o(1−o); dc = dc_tot⊙f; dh = dpre·W_hh; dW_hh += dpreᵀ·h.
  backward({ L, acts, hs, cs, tanhC, whh, proj, h0, c0 }, [gOut, gHn, gCn]) {
    const { T, B, H } = L;
    const G = 4 * H;
    const dtype = proj.dtype as 'float64';
    const dproj = allocate(dtype, T * B * G);
    const dh = floatData(gHn!).slice() as FloatArray;
    const dc = floatData(gCn!).slice() as FloatArray;
    const dw = whh.requiresGrad ? allocate(dtype, G * H) : null;
    kernels.lstmBackward({ T, B, H, acts, cs, tanhC, hs, whh: floatData(whh), gOut: floatData(gOut!), dh, dc, dproj, dw, batchFirst: L.batchFirst, reverse: L.reverse });
    return [wrap(dproj, [...proj.shape]), h0.requiresGrad ? wrap(dh, [B, H]) : null, c0.requiresGrad ? wrap(dc, [B, H]) : null, dw && wrap(dw, [G, H])];
  },
});

/**
 * A whole LSTM sequence in one op: `proj` is x·W_ihᵀ + b_ih + b_hh for every
 * step ([B, T, 4H] with batchFirst, else [T, B, 4H]), h0/c0 are [B, H]; the
 * steps run backwards in time with `reverse` (the backward direction of a
 * bidirectional layer). Returns [out (h_t at every t, proj's layout), h_T, c_T].
 */
export function lstmSequence(proj: Tensor, h0: Tensor, c0: Tensor, weightHh: Tensor, options: { batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor, Tensor] {
  checkOptions('lstmSequence', options, ['batchFirst', 'reverse']);
  const batchFirst = optionalBoolean('lstmSequence', 'batchFirst', options.batchFirst, false);
  const reverse = optionalBoolean('lstmSequence', 'reverse', options.reverse, false);
  return lstmSequenceOp(proj, h0, c0, weightHh, batchFirst, reverse) as [Tensor, Tensor, Tensor];
}
