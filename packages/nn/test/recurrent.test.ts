import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, carryState, gruStep, lstmStep, rnnStep, timeChunks } from '../src/index.js';

const f64 = (shape: number[], seed: number, requiresGrad = true) => T.randn(shape, { dtype: 'float64', generator: new T.Generator(seed), requiresGrad });

describe('fused cells agree with the composite built from primitive ops', () => {
  it('values and gradients of rnn/lstm/gru steps match for random sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.nat(1000), (B, H, seed) => {
        const h = f64([B, H], seed), c = f64([B, H], seed + 1);
        const cases: [number, (fused: boolean, gx: T.Tensor, w: T.Tensor, b: T.Tensor) => T.Tensor[]][] = [
          [1, (fu, gx, w) => [rnnStep(gx, h, w, 'tanh', fu)]],
          [1, (fu, gx, w) => [rnnStep(gx, h, w, 'relu', fu)]],
          [4, (fu, gx, w) => lstmStep(gx, h, c, w, fu)],
          [3, (fu, gx, w, b) => [gruStep(gx, h, w, b, fu)]],
        ];
        for (const [G, step] of cases) {
          const gx = f64([B, G * H], seed + 2), w = f64([G * H, H], seed + 3), b = f64([G * H], seed + 4);
          const inputs = [gx, w, b, h, c];
          const run = (fused: boolean) => {
            const outs = step(fused, gx, w, b);
            const seeds = outs.map((o, k) => f64([...o.shape], seed + 10 + k, false));
            return { outs, grads: T.gradients(outs, inputs, { gradOutputs: seeds, allowUnused: true, materializeGrads: true }) };
          };
          const a = run(true), comp = run(false);
          a.outs.forEach((o, k) => o.data.forEach((v, i) => expect(v).toBeCloseTo(comp.outs[k]!.data[i]!, 12)));
          a.grads.forEach((g, k) => g.data.forEach((v, i) => expect(v).toBeCloseTo(comp.grads[k]!.data[i]!, 12)));
        }
      }),
      { numRuns: 25 },
    );
  });
  it('gradcheck passes for every cell step in both forms, for inputs, states and weights', () => {
    for (const fused of [true, false]) {
      const x = f64([2, 3], 1), h = f64([2, 4], 2), c = f64([2, 4], 3);
      const weights = (G: number) => [f64([G * 4, 3], 4), f64([G * 4, 4], 5), f64([G * 4], 6), f64([G * 4], 7)];
      const proj = (xx: T.Tensor, wih: T.Tensor, bih: T.Tensor, bhh: T.Tensor | null) => (bhh ? T.add(T.linear(xx, wih, bih), bhh) : T.linear(xx, wih, bih));
      for (const nl of ['tanh', 'relu'] as const) {
        expect(T.gradcheck((xx, hh, wih, whh, bih, bhh) => rnnStep(proj(xx, wih, bih, bhh), hh, whh, nl, fused), [x, h, ...weights(1)]).passed).toBe(true);
      }
      expect(T.gradcheck((xx, hh, cc, wih, whh, bih, bhh) => lstmStep(proj(xx, wih, bih, bhh), hh, cc, whh, fused), [x, h, c, ...weights(4)]).passed).toBe(true);
      expect(T.gradcheck((xx, hh, wih, whh, bih, bhh) => gruStep(proj(xx, wih, bih, null), hh, whh, bhh, fused), [x, h, ...weights(3)]).passed).toBe(true);
    }
  });
  it('the cell modules run one step with PyTorch parameter names', () => {
    const cells = [new RNNCell(3, 4), new LSTMCell(3, 4), new GRUCell(3, 4)];
    for (const cell of cells) expect(cell.namedParameters().map(([n]) => n)).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    expect((cells[0] as RNNCell).forward(T.randn([2, 3])).shape).toEqual([2, 4]);
    expect((cells[1] as LSTMCell).forward(T.randn([3]))[1].shape).toEqual([4]);
    expect((cells[2] as GRUCell).forward(T.randn([2, 3]), T.zeros([2, 4])).shape).toEqual([2, 4]);
  });
});

describe('sequence layers', () => {
  it('shapes follow PyTorch for batchFirst, bidirectional and several layers; unbatched input works', () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true, batchFirst: true });
    const r = lstm.forward(T.randn([4, 7, 3]));
    expect(r.out.shape).toEqual([4, 7, 10]);
    expect(r.hn.shape).toEqual([4, 4, 5]);
    expect(r.cn!.shape).toEqual([4, 4, 5]);
    const g = new GRU(3, 5).forward(T.randn([7, 2, 3]));
    expect(g.out.shape).toEqual([7, 2, 5]);
    const u = new RNN(3, 5, { batchFirst: true }).forward(T.randn([7, 3]));
    expect(u.out.shape).toEqual([7, 5]);
    expect(u.hn.shape).toEqual([1, 5]);
  });
  it('the fused and composite layer paths agree', () => {
    for (const L of [RNN, LSTM, GRU]) {
      const layer = new L(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: 'float64' });
      const x = f64([2, 5, 3], 7);
      layer.fused = true;
      const a = layer.forward(x).out;
      layer.fused = false;
      const b = layer.forward(x).out;
      a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i]!, 12));
    }
  });
  it('gradcheck through a whole 2-layer bidirectional LSTM', () => {
    const lstm = new LSTM(2, 3, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    expect(T.gradcheck((x, h0) => lstm.forward(x, { h0 }).out, [f64([4, 2, 2], 1), f64([4, 2, 3], 2)]).passed).toBe(true);
  });
  it('keepStates exposes dL/dh_t for every step', () => {
    const rnn = new RNN(2, 3, { batchFirst: true, dtype: 'float64' });
    const x = f64([1, 6, 2], 3, false);
    const { out, states } = rnn.forward(x, {}, { keepStates: true });
    T.select(out, 1, -1).sum().backward();
    const norms = states![0]!.map((h) => Math.hypot(...h.grad!.data));
    expect(norms).toHaveLength(6);
    expect(norms[5]).toBeCloseTo(Math.sqrt(3), 12); // dL/dh_T = 1 for each unit
    // earlier steps only receive gradient through the recurrence
    expect(norms.slice(0, 5).every((n) => n > 0 && n < norms[5]! * 10)).toBe(true);
  });
  it('dropout acts between layers in training only, and never on the last layer', () => {
    const x = f64([2, 5, 3], 11, false);
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, batchFirst: true, dtype: 'float64', generator: new T.Generator(1) });
    const plain = new LSTM(3, 4, { numLayers: 2, batchFirst: true, dtype: 'float64' });
    plain.loadStateDict(lstm.stateDict());
    const trainOut = lstm.forward(x).out;
    lstm.eval();
    const evalOut = lstm.forward(x).out;
    const reference = plain.forward(x).out;
    evalOut.data.forEach((v, i) => expect(v).toBe(reference.data[i]));
    expect(trainOut.data.some((v, i) => Math.abs(v - reference.data[i]!) > 1e-6)).toBe(true);
    const single = new GRU(3, 4, { dropout: 0.5, dtype: 'float64' });
    const a = single.forward(f64([5, 2, 3], 3, false)).out;
    const b = single.forward(f64([5, 2, 3], 3, false)).out;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
  it('bad inputs name the layer and the shapes', () => {
    const lstm = new LSTM(3, 4, { batchFirst: true });
    expect(() => lstm.forward(T.randn([2, 5, 4]))).toThrow('LSTM: input has 4 features, expected inputSize 3 (shape [2,5,4])');
    expect(() => lstm.forward(T.randn([2, 5, 3]), { h0: T.zeros([2, 2, 4]) })).toThrow('LSTM: h0 must have shape [1,2,4], got [2,2,4]');
  });
});

describe('truncated BPTT', () => {
  it('carrying a detached state through chunks gives the same forward as one pass, and stops gradients at chunk boundaries', () => {
    const lstm = new LSTM(2, 3, { batchFirst: true, dtype: 'float64' });
    const x = f64([2, 9, 2], 4, false);
    const full = lstm.forward(x);
    let state = {};
    const outs: T.Tensor[] = [];
    let last: { hn: T.Tensor; cn?: T.Tensor } | null = null;
    for (const chunk of timeChunks(x, 4, { batchFirst: true })) {
      const r = lstm.forward(chunk, state);
      outs.push(r.out);
      state = carryState(r);
      last = r;
    }
    T.cat(outs, 1).data.forEach((v, i) => expect(v).toBeCloseTo(full.out.data[i]!, 12));
    expect((state as { h0: T.Tensor }).h0.requiresGrad).toBe(false);
    expect(last!.hn.data[0]).toBeCloseTo(full.hn.data[0]!, 12);
  });
});

describe('the sequence-fused recurrent layers', () => {
  it('property: sequence-fused, per-step fused and composite paths agree on outputs, final states and every gradient, for LSTM, GRU and RNN tanh/relu (float64)', () => {
    fc.assert(
      fc.property(fc.constantFrom('lstm', 'gru', 'rnn-tanh', 'rnn-relu'), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 99 }), (kind, B, S, I, H, batchFirst, bidirectional, numLayers, seed) => {
        const common = { numLayers, bidirectional, batchFirst, dtype: 'float64' as const, generator: new T.Generator(seed) };
        const lstm = kind === 'lstm' ? new LSTM(I, H, common) : kind === 'gru' ? new GRU(I, H, common) : new RNN(I, H, { ...common, nonlinearity: kind === 'rnn-relu' ? 'relu' : 'tanh' });
        const isLstm = kind === 'lstm';
        const D = bidirectional ? 2 : 1;
        const x = f64(batchFirst ? [B, S, I] : [S, B, I], seed + 1);
        const h0 = f64([numLayers * D, B, H], seed + 2), c0 = f64([numLayers * D, B, H], seed + 3);
        const run = (path: 'sequence' | 'step' | 'composite') => {
          lstm.fused = path !== 'composite';
          const r = lstm.forward(x, isLstm ? { h0, c0 } : { h0 }, { keepStates: path === 'step' });
          const outs = isLstm ? [r.out, r.hn, r.cn!] : [r.out, r.hn];
          const up = outs.map((o, k) => f64([...o.shape], seed + 4 + k, false));
          const inputs = isLstm ? [x, h0, c0, ...lstm.parameters()] : [x, h0, ...lstm.parameters()];
          const grads = T.gradients(outs, inputs, { gradOutputs: up });
          return [...outs, ...grads];
        };
        const seq = run('sequence'), step = run('step'), comp = run('composite');
        seq.forEach((t, k) => {
          t.data.forEach((v, i) => {
            expect(v).toBeCloseTo(step[k]!.data[i]!, 11);
            expect(v).toBeCloseTo(comp[k]!.data[i]!, 11);
          });
        });
      }),
      { numRuns: 40 },
    );
  });
  it('gradcheck of lstmSequence, gruSequence and rnnSequence in both directions and layouts', () => {
    for (const batchFirst of [true, false])
      for (const reverse of [false, true]) {
        const p = (G: number, seed: number) => f64(batchFirst ? [2, 3, G] : [3, 2, G], seed);
        const h0 = f64([2, 2], 2), c0 = f64([2, 2], 3);
        expect(T.gradcheck((pp, h, c, ww) => T.lstmSequence(pp, h, c, ww, { batchFirst, reverse }), [p(8, 1), h0, c0, f64([8, 2], 4)]).passed).toBe(true);
        expect(T.gradcheck((pp, h, ww, bb) => T.gruSequence(pp, h, ww, bb, { batchFirst, reverse }), [p(6, 5), h0, f64([6, 2], 6), f64([6], 7)]).passed).toBe(true);
        for (const nonlinearity of ['tanh', 'relu'] as const) expect(T.gradcheck((pp, h, ww) => T.rnnSequence(pp, h, ww, { batchFirst, reverse, nonlinearity }), [p(2, 8), h0, f64([2, 2], 9)]).passed).toBe(true);
      }
  });
  it('one record on the tape per layer and direction, whatever the sequence length', () => {
    for (const [layer, op] of [[new LSTM(3, 4, { batchFirst: true }), 'lstmLayer'], [new GRU(3, 4, { batchFirst: true }), 'gruSequence'], [new RNN(3, 4, { batchFirst: true }), 'rnnSequence']] as const) {
      const out = layer.forward(T.randn([2, 50, 3])).out;
      expect(out.node!.op).toBe(op);
    }
  });
  it('lstmLayer = lstmSequence(linear(x, W_ih, b)): values and every gradient, float64 and float32 on both backends, with and without bias, both layouts and directions; gradcheck and gradgradcheck', () => {
    const backend = T.getBackend();
    try {
      for (const dtype of ['float64', 'float32'] as const)
        for (const name of dtype === 'float32' ? (['js', 'wasm'] as const) : (['js'] as const))
          for (const batchFirst of [true, false])
            for (const reverse of [false, true])
              for (const withBias of [true, false]) {
                T.setBackend(name);
                const B = 5, S = 4, I = 3, H = 6, G = 4 * H;
                const make = (shape: number[], seed: number, scale: number) => T.tensor(T.randn(shape, { generator: new T.Generator(seed), dtype }).mul(scale).data, { shape, requiresGrad: true });
                const x = make(batchFirst ? [B, S, I] : [S, B, I], 1, 1), wih = make([G, I], 2, 0.4), bias = withBias ? make([G], 3, 0.2) : null;
                const h0 = make([B, H], 4, 0.5), c0 = make([B, H], 5, 0.5), whh = make([G, H], 6, 0.3);
                const loss = ([out, hT, cT]: T.Tensor[]) => out!.mul(out!).sum().add(hT!.sum()).add(cT!.mul(2).sum());
                const params = [x, wih, ...(bias ? [bias] : []), h0, c0, whh];
                const fused = T.gradients(loss(T.lstmLayer(x, wih, bias, h0, c0, whh, { batchFirst, reverse })), params);
                const pair = T.gradients(loss(T.lstmSequence(T.linear(x, wih, bias), h0, c0, whh, { batchFirst, reverse })), params);
                const tol = dtype === 'float64' ? 1e-12 : 2e-5;
                fused.forEach((g, i) => {
                  const want = pair[i]!.data, got = g!.data;
                  for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!), `${dtype} ${name} grad ${i}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[k]!)));
                });
              }
    } finally {
      T.setBackend(backend);
    }
    const h0 = f64([2, 2], 2), c0 = f64([2, 2], 3);
    for (const batchFirst of [true, false]) {
      const x = f64(batchFirst ? [2, 3, 2] : [3, 2, 2], 1);
      const fn = (xx: T.Tensor, w: T.Tensor, b: T.Tensor, h: T.Tensor, c: T.Tensor, ww: T.Tensor) => T.lstmLayer(xx, w, b, h, c, ww, { batchFirst, reverse: !batchFirst });
      const inputs = [x, f64([8, 2], 4), f64([8], 5), h0, c0, f64([8, 2], 6)];
      expect(T.gradcheck(fn, inputs).passed).toBe(true);
      expect(T.gradgradcheck(fn, inputs).passed).toBe(true);
    }
  });
  it('lstmLayer names bad shapes and options', () => {
    const x = T.randn([2, 3, 4]), h = T.zeros([2, 5]), wih = T.randn([20, 4]), whh = T.randn([20, 5]);
    expect(() => T.lstmLayer(x, T.randn([20, 3]), null, h, h, whh, { batchFirst: true })).toThrow('lstmLayer: weight_ih must be [20,4], got [20,3]');
    expect(() => T.lstmLayer(x, wih, T.randn([19]), h, h, whh, { batchFirst: true })).toThrow('lstmLayer: bias must be [20], got [19]');
    expect(() => T.lstmLayer(x, wih, null, h, h, whh, { batchFirst: false })).toThrow(/lstmLayer: input must be \[T, 2, features\]/);
    expect(() => T.lstmLayer(x, wih, null, h, h, whh, { batchFirst: true, bogus: 1 } as never)).toThrow(T.OptionError);
  });
});
