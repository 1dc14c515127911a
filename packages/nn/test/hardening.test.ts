/** Regression tests for the module and layer defects found by the audit; each is named after what it guarantees. */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { SGD } from '@tapegrad/optim';
import { GRU, LSTM, Linear, Module, RNN, Sequential, Tanh } from '../src/index.js';

describe('a module used twice is one set of parameters, updated once per step (as in PyTorch)', () => {
  it('new Sequential(l, l) lists l.weight and l.bias once', () => {
    const l = new Linear(2, 2);
    const seq = new Sequential(l, new Tanh(), l);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(seq.numParameters()).toBe(6);
  });
  it('one SGD step moves a shared weight by lr·(its total gradient), once', () => {
    const l = new Linear(1, 1, { bias: false, dtype: 'float64' });
    l.weight.data[0] = 2;
    const seq = new Sequential(l, l); // y = w·(w·x) = w²x, dy/dw = 2wx
    const opt = new SGD(seq.namedParameters(), { lr: 0.1 });
    seq.forward(T.tensor([[3]], { dtype: 'float64' })).sum().backward();
    expect(l.weight.grad!.data[0]).toBe(12);
    opt.step();
    expect(l.weight.data[0]).toBeCloseTo(2 - 0.1 * 12, 12);
  });
  it('submodules in a plain object or nested containers are discovered, with ModuleDict-style names', () => {
    class Heads extends Module {
      heads = { left: new Linear(2, 1), right: new Linear(2, 1) };
      nested = [{ inner: new Linear(1, 1) }];
    }
    const names = new Heads().namedParameters().map(([n]) => n);
    expect(names).toEqual(['heads.left.weight', 'heads.left.bias', 'heads.right.weight', 'heads.right.bias', 'nested.0.inner.weight', 'nested.0.inner.bias']);
    expect(new Heads().namedModules().map(([n]) => n)).toEqual(['', 'heads.left', 'heads.right', 'nested.0.inner']);
  });
  it('a cycle between modules does not recurse forever', () => {
    class Node extends Module {
      lin = new Linear(1, 1);
      other: Module | null = null;
    }
    const a = new Node(), b = new Node();
    a.other = b;
    b.other = a;
    expect(a.namedParameters().length).toBe(4);
    expect(a.modules().length).toBe(4);
  });
});

describe('loadStateDict is atomic', () => {
  it('a tensor whose data array is short is refused before any parameter is written', () => {
    const m = new Sequential(new Linear(2, 2), new Linear(2, 2));
    const before = m.parameters().map((p) => Array.from(p.data));
    const sd = new Sequential(new Linear(2, 2), new Linear(2, 2)).stateDict();
    sd['1.bias']!.data = new Float32Array(1); // data replaced behind the tensor's back
    expect(() => m.loadStateDict(sd)).toThrow(/'1.bias' holds 1 values but its shape \[2\] needs 2/);
    expect(m.parameters().map((p) => Array.from(p.data))).toEqual(before);
  });
  it('non-tensors, a "__proto__" key and bad options are errors, not silent skips', () => {
    const m = new Linear(1, 1);
    const sd = m.stateDict();
    expect(() => m.loadStateDict({ ...sd, weight: [[1]] as never })).toThrow(/'weight' is not a tensor/);
    const polluted = JSON.parse('{"__proto__": 1}') as Record<string, T.Tensor>;
    expect(() => m.loadStateDict({ ...sd, ...polluted })).toThrow(/unexpected keys: __proto__/);
    expect(() => m.loadStateDict(sd, { strict: 'no' as never })).toThrow(/strict must be true or false/);
    expect(() => m.loadStateDict(sd, { stict: false } as never)).toThrow(/unknown option 'stict'/);
  });
});

describe('layers validate their options and inputs', () => {
  it('unknown option keys, wrong types and PyTorch spellings are named errors', () => {
    expect(() => new LSTM(3, 4, { batch_first: true } as never)).toThrow(/LSTM: unknown option 'batch_first' \(did you mean `batchFirst`\?\)/);
    expect(() => new LSTM(3, 4, { nonlinearity: 'relu' } as never)).toThrow(/unknown option 'nonlinearity'/);
    expect(() => new RNN(3, 4, { nonlinearity: 'gelu' as never })).toThrow(/nonlinearity must be one of 'tanh', 'relu'/);
    expect(() => new GRU(3, 4, { numLayers: 1.5 })).toThrow(/numLayers must be an integer ≥ 1/);
    expect(() => new Linear(2, 2, { dtype: 'float16' as never })).toThrow(/dtype must be one of 'float32', 'float64'/);
    expect(() => new Linear(2, 2, { bias: 'no' as never })).toThrow(/bias must be true or false/);
    expect(() => new Linear(2, 2e12)).toThrow(T.AllocationError);
  });
  it('a recurrent layer over a zero-length sequence names the layer and the empty sequence', () => {
    const lstm = new LSTM(3, 4, { batchFirst: true });
    expect(() => lstm.forward(T.zeros([2, 0, 3]))).toThrow('LSTM: the input sequence is empty (0 time steps, shape [2,0,3]); a recurrent layer needs at least one step');
    expect(() => lstm.forward(T.zeros([2, 1, 3]), { h0: 'x' as never })).toThrow(/h0 must be a Tensor/);
    expect(() => lstm.forward(T.zeros([2, 1, 3]), {}, { keep_states: true } as never)).toThrow(/unknown option 'keep_states'/);
  });
});
