/**
 * The sequence-fused recurrent ops (lstmSequence, rnnSequence, gruSequence)
 * built from primitive ops, one time step at a time: their composite twins.
 * A recorded backward pass (createGraph, nested grad, Hessian-vector
 * products) replays these from the fused op's saved arguments, so second
 * derivatives flow through the default fused layers. Same math, gate order
 * and layouts as the fused kernels; tests check both agree.
 */
import type { Tensor } from '../tensor.js';
import { add, mul, sub } from './elementwise.js';
import { linear } from './matmul.js';
import { chunk, stack, unbind } from './shape.js';
import { relu, sigmoid, tanh } from './unary.js';

/** The steps of `proj` in processing order, with their time index. */
function steps(proj: Tensor, batchFirst: boolean, reverse: boolean): [number, Tensor][] {
  const xs = unbind(proj, batchFirst ? 1 : 0).map((x, t): [number, Tensor] => [t, x]);
  return reverse ? xs.reverse() : xs;
}

function collect(outs: Tensor[], batchFirst: boolean): Tensor {
  return stack(outs, batchFirst ? 1 : 0);
}

/** lstmSequence as primitives: gates (i, f, g, o), c' = σf⊙c + σi⊙tanh g, h' = σo⊙tanh c'. */
export function lstmSequenceComposite(proj: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, batchFirst: boolean, reverse: boolean): Tensor[] {
  let h = h0, c = c0;
  const outs: Tensor[] = [];
  for (const [t, x] of steps(proj, batchFirst, reverse)) {
    const [i, f, g, o] = chunk(add(x, linear(h, whh)), 4, 1) as [Tensor, Tensor, Tensor, Tensor];
    c = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
    h = mul(sigmoid(o), tanh(c));
    outs[t] = h;
  }
  return [collect(outs, batchFirst), h, c];
}

/** rnnSequence as primitives: h' = act(x + h·W_hhᵀ). */
export function rnnSequenceComposite(proj: Tensor, h0: Tensor, whh: Tensor, useRelu: boolean, batchFirst: boolean, reverse: boolean): Tensor[] {
  let h = h0;
  const outs: Tensor[] = [];
  for (const [t, x] of steps(proj, batchFirst, reverse)) {
    const pre = add(x, linear(h, whh));
    h = useRelu ? relu(pre) : tanh(pre);
    outs[t] = h;
  }
  return [collect(outs, batchFirst), h];
}

/** gruSequence as primitives (PyTorch's form, b_hh inside the n gate): h' = n + z⊙(h − n). */
export function gruSequenceComposite(proj: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, batchFirst: boolean, reverse: boolean): Tensor[] {
  let h = h0;
  const outs: Tensor[] = [];
  for (const [t, x] of steps(proj, batchFirst, reverse)) {
    const [xr, xz, xn] = chunk(x, 3, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = chunk(linear(h, whh, bhh), 3, 1) as [Tensor, Tensor, Tensor];
    const r = sigmoid(add(xr, hr));
    const z = sigmoid(add(xz, hz));
    const n = tanh(add(xn, mul(r, hn)));
    h = add(n, mul(z, sub(h, n)));
    outs[t] = h;
  }
  return [collect(outs, batchFirst), h];
}
