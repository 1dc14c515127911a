/** init: 'keras' on the recurrent layers reproduces Keras's LSTM/GRU/SimpleRNN defaults. */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { GRU, LSTM, RNN } from '../src/index.js';

const gen = () => new T.Generator(7);

describe("init: 'keras'", () => {
  it('LSTM: glorot-uniform W_ih within ±√(6/(in + 4H)), orthonormal W_hh columns, zero biases except the forget gate (1)', () => {
    const I = 5, H = 6;
    const lstm = new LSTM(I, H, { init: 'keras', generator: gen(), dtype: 'float64', numLayers: 2, bidirectional: true });
    for (const sfx of ['_l0', '_l0_reverse', '_l1', '_l1_reverse']) {
      const inF = sfx.startsWith('_l0') ? I : 2 * H;
      const p = Object.fromEntries(lstm.namedParameters());
      const wih = p[`weight_ih${sfx}`]!, whh = p[`weight_hh${sfx}`]!;
      const limit = Math.sqrt(6 / (inF + 4 * H));
      expect(Math.max(...Array.from(wih.data, Math.abs))).toBeLessThanOrEqual(limit);
      expect(Math.max(...Array.from(wih.data, Math.abs))).toBeGreaterThan(0.7 * limit); // it uses the range, not a smaller one
      // Columns of W_hh [4H, H] are orthonormal: W_hhᵀ W_hh = I_H.
      const gram = T.matmul(T.transpose(whh, 0, 1), whh);
      Array.from(gram.data).forEach((v, k) => expect(v).toBeCloseTo(Math.floor(k / H) === k % H ? 1 : 0, 10));
      expect(Array.from(p[`bias_ih${sfx}`]!.data)).toEqual([...Array(H).fill(0), ...Array(H).fill(1), ...Array(2 * H).fill(0)]);
      expect(Array.from(p[`bias_hh${sfx}`]!.data).every((v) => v === 0)).toBe(true);
    }
  });
  it('GRU and RNN: glorot, orthogonal, zero biases; the default stays PyTorch’s U(±1/√H)', () => {
    const H = 4;
    for (const layer of [new GRU(3, H, { init: 'keras', generator: gen(), dtype: 'float64' }), new RNN(3, H, { init: 'keras', generator: gen(), dtype: 'float64' })]) {
      const p = Object.fromEntries(layer.namedParameters());
      expect(Array.from(p.bias_ih_l0!.data).every((v) => v === 0)).toBe(true);
      const whh = p.weight_hh_l0!;
      const gram = T.matmul(T.transpose(whh, 0, 1), whh);
      Array.from(gram.data).forEach((v, k) => expect(v).toBeCloseTo(Math.floor(k / H) === k % H ? 1 : 0, 10));
    }
    const torch = new LSTM(3, H, { generator: gen() });
    expect(torch.parameters().every((q) => Array.from(q.data).every((v) => Math.abs(v) <= 1 / Math.sqrt(H)))).toBe(true);
    expect(() => new LSTM(3, H, { init: 'glorot' as never })).toThrow(/init must be one of/);
  });
});
