/**
 * Second-order gradients through the recurrent layers: the fused layers
 * (one sequence op, or one fused cell per step with keepStates) must give the
 * same Hessian-vector products as the composite built from primitives —
 * including for W_hh, which every step shares, so a replay that took total
 * instead of local derivatives would count its earlier uses again.
 */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import type { Tensor } from '@tapegrad/autograd';
import { GRU, LSTM, RNN } from '../src/index.js';

type Kind = 'rnn' | 'lstm' | 'gru';
const make = (kind: Kind, fused: boolean) => {
  const options = { batchFirst: true, fused, dtype: 'float64' as const, generator: new T.Generator(3), numLayers: 2, bidirectional: kind === 'gru' };
  return kind === 'lstm' ? new LSTM(3, 4, options) : kind === 'gru' ? new GRU(3, 4, options) : new RNN(3, 4, options);
};

/** Hv of L = Σ out² over every parameter, by the recorded walk, for a direction fixed by seed. */
function hvpOf(kind: Kind, fused: boolean, keepStates: boolean): number[][] {
  const layer = make(kind, fused);
  const params = layer.parameters();
  const x = T.randn([2, 5, 3], { dtype: 'float64', generator: new T.Generator(4) });
  const { out } = layer.forward(x, {}, { keepStates });
  const loss = T.sum(T.square(out));
  const g = T.gradients(loss, params, { createGraph: true });
  const gen = new T.Generator(5);
  const v = params.map((p) => T.randn([...p.shape], { dtype: 'float64', generator: gen }));
  const s = g.map((gi, i) => T.sum(T.mul(gi, v[i]!))).reduce((a, b) => T.add(a, b));
  return T.gradients(s, params).map((t: Tensor) => Array.from(t.data));
}

describe('Hessian-vector products through recurrent layers: fused equals composite', () => {
  for (const kind of ['rnn', 'lstm', 'gru'] as const) {
    it(`${kind} (2 layers${kind === 'gru' ? ', bidirectional' : ''}): sequence-fused and per-step fused cells give the composite's Hv`, () => {
      const want = hvpOf(kind, false, false);
      for (const keepStates of [false, true]) {
        const got = hvpOf(kind, true, keepStates);
        got.forEach((p, i) => p.forEach((val, j) => expect(val).toBeCloseTo(want[i]![j]!, 10)));
      }
      expect(want.flat().some((val) => Math.abs(val) > 1e-3)).toBe(true);
    });
  }
});
