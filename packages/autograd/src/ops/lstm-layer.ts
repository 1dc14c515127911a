/**
 * A whole LSTM layer and direction from its input in one op:
 *   proj = x·W_ihᵀ + b,  then the sequence of lstmSequence over proj.
 * The same math as `linear` followed by `lstmSequence` (a property test
 * checks values and every gradient against that pair), in one kernel call
 * each way, so on the WebAssembly backend the projection and its gradient
 * (4H values per row and step, the largest arrays of the layer) never leave
 * WebAssembly memory and are never allocated in JS. The layer saves x, not
 * the projection.
 */
import { allocate, formatShape, kernels } from '../backend/index.js';
import { ShapeError } from '../errors.js';
import { defineMultiOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, optionalBoolean } from '../validate.js';
import { linear } from './matmul.js';
import { lstmForwardBuffers, lstmForwardOutputs } from './lstm-sequence.js';
import { lstmSequenceComposite } from './recurrent-composite.js';
import { assertFloat, assertSameDType, floatData, wrap } from './util.js';

const lstmLayerOp = defineMultiOp({
  name: 'lstmLayer',
  // Higher-order gradients replay the projection and the step-by-step composite from the saved arguments.
  composite: (x: Tensor, wih: Tensor, bias: Tensor | null, h0: Tensor, c0: Tensor, whh: Tensor, batchFirst: boolean, reverse: boolean) =>
    lstmSequenceComposite(linear(x, wih, bias), h0, c0, whh, batchFirst, reverse),
  forward(x: Tensor, wih: Tensor, bias: Tensor | null, h0: Tensor, c0: Tensor, whh: Tensor, batchFirst: boolean, reverse: boolean) {
    const named: [string, Tensor][] = [['input', x], ['weight_ih', wih], ['h0', h0], ['c0', c0], ['weight_hh', whh]];
    if (bias) named.push(['bias', bias]);
    for (const [name, t] of named) {
      assertFloat('lstmLayer', name, t);
      assertSameDType('lstmLayer', x, t, ['input', name]);
    }
    if (h0.ndim !== 2 || c0.ndim !== 2 || h0.shape.join() !== c0.shape.join()) throw new ShapeError('lstmLayer', `h0 and c0 must both be [batch, hidden], got ${formatShape(h0.shape)} and ${formatShape(c0.shape)}`);
    const [B, H] = h0.shape as [number, number];
    const G = 4 * H;
    if (x.ndim !== 3 || x.shape[batchFirst ? 0 : 1] !== B) throw new ShapeError('lstmLayer', `input must be ${batchFirst ? `[${B}, T, features]` : `[T, ${B}, features]`}, got ${formatShape(x.shape)}`);
    const I = x.shape[2]!;
    if (wih.ndim !== 2 || wih.shape[0] !== G || wih.shape[1] !== I) throw new ShapeError('lstmLayer', `weight_ih must be ${formatShape([G, I])}, got ${formatShape(wih.shape)}`);
    if (bias && (bias.ndim !== 1 || bias.shape[0] !== G)) throw new ShapeError('lstmLayer', `bias must be ${formatShape([G])}, got ${formatShape(bias.shape)}`);
    if (whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H) throw new ShapeError('lstmLayer', `weight_hh must be ${formatShape([G, H])}, got ${formatShape(whh.shape)}`);
    const T = x.shape[batchFirst ? 1 : 0]!;
    if (T === 0) throw new ShapeError('lstmLayer', 'the sequence is empty');
    // Saved for backward, by processing step (see lstmSequence).
    const buf = lstmForwardBuffers(x.dtype as 'float64', T, B, H, h0, c0);
    const { acts, hs, cs, tanhC } = buf;
    kernels.lstmLayerForward({ T, B, H, I, x: floatData(x), wih: floatData(wih), bias: bias ? floatData(bias) : null, whh: floatData(whh), ...buf, batchFirst, reverse });
    return { outs: lstmForwardOutputs(buf, T, B, H, batchFirst), saved: { T, B, H, I, batchFirst, reverse, acts, hs, cs, tanhC, x, wih, bias, whh, h0, c0 } };
  },
  backward({ T, B, H, I, batchFirst, reverse, acts, hs, cs, tanhC, x, wih, bias, whh, h0, c0 }, [gOut, gHn, gCn]) {
    const G = 4 * H;
    const dtype = x.dtype as 'float64';
    const dh = floatData(gHn!).slice();
    const dc = floatData(gCn!).slice();
    const dw = whh.requiresGrad ? allocate(dtype, G * H) : null;
    const gx = x.requiresGrad ? allocate(dtype, x.size) : null;
    const gwih = wih.requiresGrad ? allocate(dtype, G * I) : null;
    const gbias = bias && bias.requiresGrad ? allocate(dtype, G) : null;
    kernels.lstmLayerBackward({ T, B, H, I, acts, cs, tanhC, hs, whh: floatData(whh), gOut: floatData(gOut!), dh, dc, dw, x: floatData(x), wih: floatData(wih), gx, gwih, gbias, batchFirst, reverse });
    // One gradient per tensor argument: a null bias is not an input of the record.
    const gb = bias ? [gbias && wrap(gbias, [G])] : [];
    return [gx && wrap(gx, [...x.shape]), gwih && wrap(gwih, [G, I]), ...gb, h0.requiresGrad ? wrap(dh, [B, H]) : null, c0.requiresGrad ? wrap(dc, [B, H]) : null, dw && wrap(dw, [G, H])];
  },
});

/**
 * A whole LSTM layer and direction in one op: `x` is [B, T, I] with
 * batchFirst, else [T, B, I]; W_ih [4H, I], `bias` [4H] (b_ih + b_hh, or
 * null), h0/c0 [B, H], W_hh [4H, H]; `reverse` runs the steps backwards in
 * time. Equals `lstmSequence(linear(x, W_ih, bias), h0, c0, W_hh, options)`
 * (gates i, f, g, o; PyTorch's LSTM) and returns the same
 * [out (h_t at every t, in x's layout), h_T, c_T]; nn.LSTM uses it.
 */
export function lstmLayer(x: Tensor, weightIh: Tensor, bias: Tensor | null, h0: Tensor, c0: Tensor, weightHh: Tensor, options: { batchFirst?: boolean; reverse?: boolean } = {}): [Tensor, Tensor, Tensor] {
  checkOptions('lstmLayer', options, ['batchFirst', 'reverse']);
  const batchFirst = optionalBoolean('lstmLayer', 'batchFirst', options.batchFirst, false);
  const reverse = optionalBoolean('lstmLayer', 'reverse', options.reverse, false);
  return lstmLayerOp(x, weightIh, bias ?? null, h0, c0, weightHh, batchFirst, reverse) as [Tensor, Tensor, Tensor];
}
