/**
 * One time step of each recurrent cell, in two interchangeable forms:
 * fused (one op with a hand-written backward, from @tapegrad/autograd) and
 * composite (built from primitive ops, gradient for free). `gx` is the input
 * projection x·W_ihᵀ + b_ih, plus b_hh for RNN and LSTM (GRU keeps b_hh apart
 * because its n gate multiplies the hidden projection by r).
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';

/** One Elman step: act(gx + h·W_hhᵀ). */
export function rnnStep(gx: Tensor, h: Tensor, whh: Tensor, nonlinearity: 'tanh' | 'relu', fused: boolean): Tensor {
  if (fused) return T.rnnCell(gx, h, whh, nonlinearity);
  const pre = T.add(gx, T.linear(h, whh));
  return nonlinearity === 'relu' ? T.relu(pre) : T.tanh(pre);
}

/** One LSTM step: returns [h′, c′]. */
export function lstmStep(gx: Tensor, h: Tensor, c: Tensor, whh: Tensor, fused: boolean): [Tensor, Tensor] {
  if (fused) return T.lstmCell(gx, h, c, whh);
  const [i, f, g, o] = T.chunk(T.add(gx, T.linear(h, whh)), 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const cNew = T.add(T.mul(T.sigmoid(f), c), T.mul(T.sigmoid(i), T.tanh(g)));
  const hNew = T.mul(T.sigmoid(o), T.tanh(cNew));
  return [hNew, cNew];
}

/** One GRU step (PyTorch form, b_hh inside the n gate). */
export function gruStep(gx: Tensor, h: Tensor, whh: Tensor, bhh: Tensor | null, fused: boolean): Tensor {
  if (fused) return T.gruCell(gx, h, whh, bhh);
  const [xr, xz, xn] = T.chunk(gx, 3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = T.chunk(T.linear(h, whh, bhh), 3, 1) as [Tensor, Tensor, Tensor];
  const r = T.sigmoid(T.add(xr, hr));
  const z = T.sigmoid(T.add(xz, hz));
  const n = T.tanh(T.add(xn, T.mul(r, hn)));
  // h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n)
  return T.add(n, T.mul(z, T.sub(h, n)));
}
