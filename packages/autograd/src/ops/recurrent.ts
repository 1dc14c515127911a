/**
 * Fused recurrent cells: one time step of an Elman RNN, LSTM or GRU as one op
 * (the hidden matmul, every gate nonlinearity and the state update in one
 * forward and one backward — no per-gate tensors on the tape). Each takes the
 * input projection gx = x·W_ihᵀ + b, the previous state and W_hh. A step is
 * a sequence of length one, so each cell runs the sequence-fused op on
 * gx viewed as [1, B, G]: the gate math is defined once (backend/recurrent.ts
 * and its WebAssembly twin), not again per step. PyTorch layouts and gate
 * orders (LSTM i,f,g,o; GRU r,z,n). The composite forms in @tapegrad/nn are
 * checked against these.
 */
import { formatShape } from '../backend/index.js';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { lstmSequence } from './lstm-sequence.js';
import { gruSequence, rnnSequence } from './rnn-sequence.js';
import { reshape } from './shape.js';
import { assertFloat, assertSameDType } from './util.js';
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

/** gx [B, G] as a one-step sequence [1, B, G] (a view: no copy). */
const oneStep = (gx: Tensor, B: number, G: number) => reshape(gx, [1, B, G]);

/** h' = tanh(gx + h·W_hhᵀ) (or relu): one Elman RNN step; gx already holds both biases. */
export function rnnCell(gx: Tensor, h: Tensor, weightHh: Tensor, nonlinearity: 'tanh' | 'relu' = 'tanh'): Tensor {
  cellArgs('rnnCell', { gx, h, weightHh });
  const act = optionalChoice('rnnCell', 'nonlinearity', nonlinearity, ['tanh', 'relu'], 'tanh');
  const { B, H } = checkCell('rnnCell', gx, h, weightHh, 1);
  return rnnSequence(oneStep(gx, B, H), h, weightHh, { nonlinearity: act })[1];
}

/**
 * One LSTM step with gates (i, f, g, o) = (σ, σ, tanh, σ)(gx + h·W_hhᵀ):
 * c' = f⊙c + i⊙g, h' = o⊙tanh(c'). Returns [h', c'].
 */
export function lstmCell(gx: Tensor, h: Tensor, c: Tensor, weightHh: Tensor): [Tensor, Tensor] {
  cellArgs('lstmCell', { gx, h, c, weightHh });
  const { B, H } = checkCell('lstmCell', gx, h, weightHh, 4);
  if (c.ndim !== 2 || c.shape[0] !== B || c.shape[1] !== H) throw new ShapeError('lstmCell', `cell state must be [${B}, ${H}], got ${formatShape(c.shape)}`);
  const [, hNew, cNew] = lstmSequence(oneStep(gx, B, 4 * H), h, c, weightHh);
  return [hNew, cNew];
}

/**
 * One GRU step (PyTorch's form): with gx = x·W_ihᵀ + b_ih and hp = h·W_hhᵀ + b_hh,
 * r = σ(gx_r + hp_r), z = σ(gx_z + hp_z), n = tanh(gx_n + r⊙hp_n), h' = (1 − z)⊙n + z⊙h.
 */
export function gruCell(gx: Tensor, h: Tensor, weightHh: Tensor, biasHh?: Tensor | null): Tensor {
  cellArgs('gruCell', biasHh === undefined || biasHh === null ? { gx, h, weightHh } : { gx, h, weightHh, biasHh });
  const { B, H } = checkCell('gruCell', gx, h, weightHh, 3);
  if (biasHh && (biasHh.ndim !== 1 || biasHh.shape[0] !== 3 * H)) throw new ShapeError('gruCell', `bias_hh must be [${3 * H}], got ${formatShape(biasHh.shape)}`);
  return gruSequence(oneStep(gx, B, 3 * H), h, weightHh, biasHh ?? null)[1];
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
