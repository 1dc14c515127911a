/**
 * Recurrent sequence layers (torch.nn.RNN / LSTM / GRU) and single-step
 * cells (RNNCell / LSTMCell / GRUCell), with PyTorch parameter names,
 * layouts, gate orders and default init U(−1/√H, 1/√H).
 */
import type { FloatDType, Generator, Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ShapeError, ValueError, checkOptions, defaultGenerator, describeValue, formatShape, optionalBoolean, optionalChoice, optionalNumber, requireNumber } from '@tapegrad/autograd';
import { orthogonal, uniform, xavierUniform } from '../init.js';
import { dropout, emptyParameter, layerOptions } from '../layers.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { gruStep, lstmStep, rnnStep } from './steps.js';

/** Which recurrent cell a layer uses. */
export type RecurrentKind = 'rnn' | 'lstm' | 'gru';

const GATES: Record<RecurrentKind, number> = { rnn: 1, lstm: 4, gru: 3 };

/** Options of RNN, LSTM and GRU (PyTorch names, camelCase). */
export interface RecurrentOptions {
  numLayers?: number;
  bidirectional?: boolean;
  /** Inputs and outputs are [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last (training only). */
  dropout?: number;
  bias?: boolean;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** Use the fused cell ops (default) or the composite built from primitives. */
  fused?: boolean;
  /**
   * Initialisation. 'pytorch' (default): every weight and bias U(−1/√H, 1/√H).
   * 'keras' (Keras's LSTM/GRU/SimpleRNN defaults): input weights
   * glorot-uniform, U(±√(6/(in + G))) with G = gates·H; recurrent weights
   * orthogonal (orthonormal columns in PyTorch's [G, H] layout, i.e. Keras's
   * [H, G] kernel with orthonormal rows); biases zero, except the LSTM's
   * forget-gate bias, 1 (Keras `unit_forget_bias`; put in bias_ih, since the
   * two PyTorch biases add up to Keras's one).
   */
  init?: 'pytorch' | 'keras';
  dtype?: FloatDType;
  generator?: Generator;
}

/** Initial states, each [layers·directions, batch, hidden] (zeros when omitted). */
export interface RecurrentState {
  h0?: Tensor | null;
  c0?: Tensor | null;
}

/** Per-call options of a recurrent layer. */
export interface RecurrentForwardOptions {
  /**
   * Keep every per-step hidden state h_t with retainGrad(), so that after
   * backward `states[layer·dirs + dir][t].grad` is dL/dh_t — the gradient a
   * learner wants to see vanish or explode along the sequence.
   */
  keepStates?: boolean;
}

/** What a recurrent layer returns. */
export interface RecurrentOutput {
  /** The last layer's h_t for every t (directions concatenated on the last dim). */
  out: Tensor;
  /** Final hidden state of every layer and direction: [layers·dirs, batch, hidden]. */
  hn: Tensor;
  /** LSTM only: final cell states. */
  cn?: Tensor;
  /** With keepStates: states[layer·dirs + dir][t] is h_t (time order), its grad retained. */
  states?: Tensor[][];
}

type Params = Record<string, Parameter>;

/** Keras's defaults for one layer and direction: glorot-uniform W_ih, orthogonal W_hh, zero biases with the LSTM forget-gate bias at 1. */
function kerasInit(kind: RecurrentKind, H: number, params: Params, sfx: string, generator: Generator | undefined): void {
  const gen = generator ? { generator } : {};
  xavierUniform(params[`weight_ih${sfx}`]!, 1, gen);
  orthogonal(params[`weight_hh${sfx}`]!, 1, gen);
  const bih = params[`bias_ih${sfx}`], bhh = params[`bias_hh${sfx}`];
  if (!bih || !bhh) return;
  bih.data.fill(0);
  bhh.data.fill(0);
  if (kind === 'lstm') bih.data.fill(1, H, 2 * H); // gate order i, f, g, o: the f slice
}

/** The base of RNN, LSTM and GRU: parameters weight_ih_l{k}[_reverse] etc. as own properties. */
export abstract class RecurrentLayer extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropoutP: number;
  readonly hasBias: boolean;
  readonly nonlinearity: 'tanh' | 'relu';
  fused: boolean;
  private readonly dropoutGenerator: Generator;

  constructor(readonly kind: RecurrentKind, readonly inputSize: number, readonly hiddenSize: number, options: RecurrentOptions = {}) {
    super();
    const name = this.constructor.name;
    const known = ['numLayers', 'bidirectional', 'batchFirst', 'dropout', 'bias', 'fused', 'init', 'dtype', 'generator', ...(kind === 'rnn' ? ['nonlinearity'] : [])];
    layerOptions(name, options, known, ['bidirectional', 'batchFirst', 'bias', 'fused']);
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', options.numLayers ?? 1]] as const) requireNumber(name, k, v, { integer: true, min: 1 });
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? false;
    this.dropoutP = optionalNumber(name, 'dropout', options.dropout, 0, { min: 0, max: 1, maxExclusive: true });
    this.hasBias = options.bias ?? true;
    this.nonlinearity = optionalChoice(name, 'nonlinearity', options.nonlinearity, ['tanh', 'relu'], 'tanh');
    this.fused = options.fused ?? true;
    const initMode = optionalChoice(name, 'init', options.init, ['pytorch', 'keras'], 'pytorch');
    this.dropoutGenerator = options.generator ?? defaultGenerator;
    const G = GATES[kind] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const params = this as unknown as Params;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.directions; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const inF = l === 0 ? inputSize : hiddenSize * this.directions;
        const shapes: [string, number[]][] = [[`weight_ih${sfx}`, [G, inF]], [`weight_hh${sfx}`, [G, hiddenSize]]];
        if (this.hasBias) shapes.push([`bias_ih${sfx}`, [G]], [`bias_hh${sfx}`, [G]]);
        for (const [n, shape] of shapes) params[n] = uniform(emptyParameter(shape, options.dtype), -bound, bound, { generator: options.generator }) as Parameter;
        if (initMode === 'keras') kerasInit(kind, hiddenSize, params, sfx, options.generator);
      }
    }
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The four parameters of one layer and direction. */
  protected weights(layer: number, reverse: boolean): { wih: Parameter; whh: Parameter; bih: Parameter | null; bhh: Parameter | null } {
    const p = this as unknown as Params;
    const sfx = `_l${layer}${reverse ? '_reverse' : ''}`;
    return { wih: p[`weight_ih${sfx}`]!, whh: p[`weight_hh${sfx}`]!, bih: this.hasBias ? p[`bias_ih${sfx}`]! : null, bhh: this.hasBias ? p[`bias_hh${sfx}`]! : null };
  }

  protected override describe(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.numLayers > 1 ? `, numLayers=${this.numLayers}` : ''}${this.bidirectional ? ', bidirectional' : ''}${this.batchFirst ? ', batchFirst' : ''}`;
  }

  private checkState(name: string, s: Tensor | null | undefined, B: number, x: Tensor): Tensor | null {
    if (!s) return null;
    const want = [this.numLayers * this.directions, B, this.hiddenSize];
    if (s.shape.join() !== want.join()) throw new ShapeError(this.constructor.name, `${name} must have shape ${formatShape(want)}, got ${formatShape(s.shape)}`);
    if (s.dtype !== x.dtype) throw new ShapeError(this.constructor.name, `${name} is ${s.dtype} but the input is ${x.dtype}`);
    return s;
  }

  /**
   * Runs the sequence. x: [batch, seq, in] (batchFirst) or [seq, batch, in],
   * or unbatched [seq, in]. Returns out, hn (and cn for LSTM).
   */
  forward(x: Tensor, state: RecurrentState = {}, options: RecurrentForwardOptions = {}): RecurrentOutput {
    const name = this.constructor.name;
    if (!(x instanceof T.Tensor)) throw new ValueError(name, `input must be a Tensor, got ${describeValue(x)}`);
    checkOptions(`${name}.forward`, state, ['h0', 'c0']);
    checkOptions(`${name}.forward`, options, ['keepStates']);
    optionalBoolean(name, 'keepStates', options.keepStates, false);
    for (const k of ['h0', 'c0'] as const) if (state[k] !== undefined && state[k] !== null && !(state[k] instanceof T.Tensor)) throw new ValueError(name, `${k} must be a Tensor, got ${describeValue(state[k])}`);
    const unbatched = x.ndim === 2;
    if (x.ndim !== 3 && !unbatched) throw new ShapeError(name, `input must be 3-D ${this.batchFirst ? '[batch, seq, feature]' : '[seq, batch, feature]'} or 2-D [seq, feature], got ${formatShape(x.shape)}`);
    if (x.shape[x.ndim - 1] !== this.inputSize) throw new ShapeError(name, `input has ${x.shape[x.ndim - 1]} features, expected inputSize ${this.inputSize} (shape ${formatShape(x.shape)})`);
    let input = unbatched ? T.unsqueeze(x, this.batchFirst ? 0 : 1) : x;
    const B = input.shape[this.batchFirst ? 0 : 1]!;
    const steps = input.shape[this.batchFirst ? 1 : 0]!;
    if (steps === 0) throw new ShapeError(name, `the input sequence is empty (0 time steps, shape ${formatShape(x.shape)}); a recurrent layer needs at least one step`);
    const unbatchState = (s: Tensor | null | undefined) => (s && unbatched ? T.unsqueeze(s, 1) : s);
    const h0 = this.checkState('h0', unbatchState(state.h0), B, x);
    const c0 = this.kind === 'lstm' ? this.checkState('c0', unbatchState(state.c0), B, x) : null;
    if (this.kind !== 'lstm' && state.c0) throw new ValueError(name, 'c0 is only for LSTM');
    const H = this.hiddenSize;
    const td = this.batchFirst ? 1 : 0;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    const kept: Tensor[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const dirOuts: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const idx = l * this.directions + d;
        const { wih, whh, bih, bhh } = this.weights(l, d === 1);
        // One matmul for the input projection of every step; RNN/LSTM fold b_hh in here too.
        // RNN/LSTM add b_hh to the projection too: sum the two [G] biases first (one tiny add) instead of
        // broadcasting b_hh over [B, T, G] (that add and its backward were 7% of an LSTM training step).
        const inBias = bih && bhh && this.kind !== 'gru' ? T.add(bih, bhh) : bih;
        let h = h0 ? T.select(h0, 0, idx) : T.zeros([B, H], { dtype: x.dtype });
        let c = this.kind === 'lstm' ? (c0 ? T.select(c0, 0, idx) : T.zeros([B, H], { dtype: x.dtype })) : null;
        const seqOptions = { batchFirst: this.batchFirst, reverse: d === 1 };
        if (this.fused && !options.keepStates && this.kind === 'lstm') {
          // Projection and sequence in one op: the [B, T, 4H] projection never becomes a tensor.
          const [seq, hT, cT] = T.lstmLayer(input, wih, inBias, h, c!, whh, seqOptions);
          hs.push(hT);
          cs.push(cT);
          dirOuts.push(seq);
          continue;
        }
        const proj = T.linear(input, wih, inBias);
        if (this.fused && !options.keepStates) {
          // The whole sequence in one op (per-step states are only needed for keepStates).
          const [seq, hT] = this.kind === 'gru' ? T.gruSequence(proj, h, whh, bhh, seqOptions) : T.rnnSequence(proj, h, whh, { ...seqOptions, nonlinearity: this.nonlinearity });
          hs.push(hT);
          dirOuts.push(seq);
          continue;
        }
        const outs = new Array<Tensor>(steps);
        const perStep = T.unbind(proj, td);
        for (let s = 0; s < steps; s++) {
          const t = d === 1 ? steps - 1 - s : s;
          const gx = perStep[t]!;
          if (this.kind === 'lstm') [h, c] = lstmStep(gx, h, c!, whh, this.fused);
          else if (this.kind === 'gru') h = gruStep(gx, h, whh, bhh, this.fused);
          else h = rnnStep(gx, h, whh, this.nonlinearity, this.fused);
          if (options.keepStates) h.retainGrad();
          outs[t] = h;
        }
        if (options.keepStates) kept.push(outs);
        hs.push(h);
        if (c) cs.push(c);
        dirOuts.push(T.stack(outs, td));
      }
      input = dirOuts.length === 1 ? dirOuts[0]! : T.cat(dirOuts, 2);
      if (l < this.numLayers - 1 && this.dropoutP > 0) input = dropout(input, this.dropoutP, this.training, this.dropoutGenerator);
    }
    let out = input, hn = T.stack(hs, 0), cn = cs.length ? T.stack(cs, 0) : undefined;
    if (unbatched) {
      out = T.squeeze(out, this.batchFirst ? 0 : 1);
      hn = T.squeeze(hn, 1);
      cn = cn && T.squeeze(cn, 1);
    }
    return { out, hn, ...(cn ? { cn } : {}), ...(options.keepStates ? { states: kept } : {}) };
  }
}

/** Elman RNN: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (or relu). */
export class RNN extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super('rnn', inputSize, hiddenSize, options);
  }
}
/** LSTM (Hochreiter & Schmidhuber 1997, with forget gate), gates i, f, g, o as PyTorch. */
export class LSTM extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RecurrentOptions, 'nonlinearity'> = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }
}
/** GRU (Cho et al. 2014), gates r, z, n as PyTorch: n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)). */
export class GRU extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RecurrentOptions, 'nonlinearity'> = {}) {
    super('gru', inputSize, hiddenSize, options);
  }
}

/** Shared by the single-step cells: weight_ih, weight_hh, bias_ih, bias_hh. */
abstract class CellBase extends Module {
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  fused: boolean;
  constructor(gates: number, readonly inputSize: number, readonly hiddenSize: number, options: Pick<RecurrentOptions, 'bias' | 'fused' | 'dtype' | 'generator'>) {
    super();
    const name = this.constructor.name;
    layerOptions(name, options, ['bias', 'fused', 'dtype', 'generator', ...(gates === 1 ? ['nonlinearity'] : [])], ['bias', 'fused']);
    requireNumber(name, 'inputSize', inputSize, { integer: true, min: 1 });
    requireNumber(name, 'hiddenSize', hiddenSize, { integer: true, min: 1 });
    const bound = 1 / Math.sqrt(hiddenSize);
    const u = (shape: number[]) => uniform(emptyParameter(shape, options.dtype), -bound, bound, { generator: options.generator }) as Parameter;
    this.weight_ih = u([gates * hiddenSize, inputSize]);
    this.weight_hh = u([gates * hiddenSize, hiddenSize]);
    this.bias_ih = options.bias === false ? null : u([gates * hiddenSize]);
    this.bias_hh = options.bias === false ? null : u([gates * hiddenSize]);
    this.fused = options.fused ?? true;
  }
  protected zeroState(x: Tensor): Tensor {
    return T.zeros(x.ndim === 1 ? [this.hiddenSize] : [x.shape[0]!, this.hiddenSize], { dtype: x.dtype });
  }
  /** Input projection with both biases (b_hh omitted for GRU). */
  protected project(x: Tensor, withHhBias: boolean): Tensor {
    const p = T.linear(x, this.weight_ih, this.bias_ih);
    return withHhBias && this.bias_hh ? T.add(p, this.bias_hh) : p;
  }
  protected override describe(): string {
    return `${this.inputSize}, ${this.hiddenSize}`;
  }
}

/** A cell's input and states must be tensors (the ops check the shapes). */
function cellInputs(name: string, args: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined || v === null) {
      if (k === 'x') throw new ValueError(name, 'forward needs an input tensor x');
      continue;
    }
    if (!(v instanceof T.Tensor)) throw new ValueError(name, `${k} must be a Tensor, got ${describeValue(v)}`);
  }
}

const batched = (x: Tensor) => (x.ndim === 1 ? T.unsqueeze(x, 0) : x);
const unbatch = (t: Tensor, was1d: boolean) => (was1d ? T.squeeze(t, 0) : t);

/** One Elman RNN step: x [batch, in] (or [in]), h [batch, hidden] → h'. */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, options: Pick<RecurrentOptions, 'bias' | 'fused' | 'dtype' | 'generator' | 'nonlinearity'> = {}) {
    super(1, inputSize, hiddenSize, options);
    this.nonlinearity = optionalChoice('RNNCell', 'nonlinearity', options.nonlinearity, ['tanh', 'relu'], 'tanh');
  }
  forward(x: Tensor, h?: Tensor | null): Tensor {
    cellInputs('RNNCell', { x, h });
    const one = x.ndim === 1;
    const hb = batched(h ?? this.zeroState(x));
    return unbatch(rnnStep(this.project(batched(x), true), hb, this.weight_hh, this.nonlinearity, this.fused), one);
  }
}

/** One LSTM step: returns [h', c']. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: Pick<RecurrentOptions, 'bias' | 'fused' | 'dtype' | 'generator'> = {}) {
    super(4, inputSize, hiddenSize, options);
  }
  forward(x: Tensor, state?: { h?: Tensor | null; c?: Tensor | null }): [Tensor, Tensor] {
    checkOptions('LSTMCell.forward', state, ['h', 'c']);
    cellInputs('LSTMCell', { x, h: state?.h, c: state?.c });
    const one = x.ndim === 1;
    const h = batched(state?.h ?? this.zeroState(x));
    const c = batched(state?.c ?? this.zeroState(x));
    const [hn, cn] = lstmStep(this.project(batched(x), true), h, c, this.weight_hh, this.fused);
    return [unbatch(hn, one), unbatch(cn, one)];
  }
}

/** One GRU step. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: Pick<RecurrentOptions, 'bias' | 'fused' | 'dtype' | 'generator'> = {}) {
    super(3, inputSize, hiddenSize, options);
  }
  forward(x: Tensor, h?: Tensor | null): Tensor {
    cellInputs('GRUCell', { x, h });
    const one = x.ndim === 1;
    const hb = batched(h ?? this.zeroState(x));
    return unbatch(gruStep(this.project(batched(x), false), hb, this.weight_hh, this.bias_hh, this.fused), one);
  }
}
