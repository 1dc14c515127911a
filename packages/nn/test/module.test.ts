import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { Dropout, Embedding, GELU, LSTM, LayerNorm, Linear, Module, Parameter, ReLU, Sequential, Tanh, init } from '../src/index.js';

class Net extends Module {
  rnn = new LSTM(3, 4, { numLayers: 2 });
  blocks = [new Linear(4, 4), new Linear(4, 2)];
  table = new Map([['emb', new Embedding(5, 3)]]);
  scale = new Parameter(new Float32Array([1]), [1]);
  notAParam = T.ones([2]);
}

describe('Module discovery', () => {
  it('finds parameters in nested modules, arrays and maps with PyTorch dotted names', () => {
    const names = new Net().namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
      'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1',
      'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias',
      'table.emb.weight', 'scale',
    ]);
  });
  it('children, modules, train/eval, apply and zeroGrad', () => {
    const net = new Net();
    expect(net.children()).toHaveLength(4);
    expect(net.modules()).toHaveLength(5);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.rnn.training).toBe(true);
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen.at(-1)).toBe('Net');
    for (const p of net.parameters()) p.grad = T.onesLike(p);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
  it('a shared parameter is listed once', () => {
    class Tied extends Module {
      a = new Linear(2, 2);
      b = this.a;
    }
    expect(new Tied().parameters()).toHaveLength(2);
  });
  it('toString shows the tree, shapes and parameter counts', () => {
    const s = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 1)).toString();
    expect(s).toContain('Sequential()  # 21 params');
    expect(s).toContain('(0): Linear(in=3, out=4, bias=true)  # 16 params');
    expect(s).toContain('weight: [4,3] float32');
  });
  it('Sequential names its children 0, 1, … like PyTorch', () => {
    expect(new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1)).namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });
});

describe('dtype conversion', () => {
  it('to(float64) converts every parameter in place and the model runs in float64', () => {
    const net = new Net();
    const before = net.parameters();
    const w = Array.from(net.blocks[0]!.weight.data);
    net.double();
    expect(net.parameters()).toEqual(before);
    expect(net.parameters().every((p) => p.dtype === 'float64' && p.data instanceof Float64Array)).toBe(true);
    expect(Array.from(net.blocks[0]!.weight.data)).toEqual(w);
    const { out } = net.rnn.forward(T.randn([2, 4, 3], { dtype: 'float64' }));
    expect(out.dtype).toBe('float64');
    net.float();
    expect(net.rnn.parameters().every((p) => p.dtype === 'float32')).toBe(true);
    expect(() => net.to('int32' as 'float32')).toThrow(/dtype must be/);
  });
});

describe('state dicts', () => {
  it('stateDict copies; loadStateDict restores exactly', () => {
    const a = new Linear(3, 2), b = new Linear(3, 2);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.weight.data)).toEqual(Array.from(a.weight.data));
    const sd = a.stateDict();
    a.weight.data[0] = 42;
    expect(sd.weight!.data[0]).not.toBe(42);
  });
  it('missing, unexpected, wrong shape or dtype: an error naming the key, module unchanged', () => {
    const m = new Linear(3, 2);
    const before = Array.from(m.weight.data);
    const sd = m.stateDict();
    expect(() => m.loadStateDict({ weight: sd.weight! })).toThrow(/missing keys: bias/);
    expect(() => m.loadStateDict({ ...sd, extra: sd.bias! })).toThrow(/unexpected keys: extra/);
    expect(() => m.loadStateDict({ ...sd, weight: T.zeros([2, 2]), bias: T.ones([2]) })).toThrow("loadStateDict: shape mismatch for 'weight': checkpoint [2,2], model [2,3]");
    expect(() => m.loadStateDict({ ...sd, weight: T.zeros([2, 3], { dtype: 'float64' }) })).toThrow(/dtype mismatch for 'weight'/);
    expect(Array.from(m.weight.data)).toEqual(before);
    expect(m.loadStateDict({ weight: T.zeros([2, 3]) }, { strict: false }).missing).toEqual(['bias']);
  });
});

describe('layers', () => {
  it('Linear computes x·Wᵀ + b with PyTorch default init bounds', () => {
    const l = new Linear(100, 50, { generator: new T.Generator(1) });
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...l.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...l.bias!.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    const x = T.randn([4, 100]);
    const y = l.forward(x);
    expect(y.shape).toEqual([4, 50]);
    const want = T.add(T.matmul(x, T.transpose(l.weight, 0, 1)), l.bias!);
    y.data.forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 4));
  });
  it('Dropout zeroes about p of the entries in training, scales the rest, and is the identity in eval', () => {
    const d = new Dropout(0.3, { generator: new T.Generator(3) });
    const y = d.forward(T.ones([10000]));
    const zeros = y.data.filter((v) => v === 0).length;
    expect(zeros / 10000).toBeGreaterThan(0.27);
    expect(zeros / 10000).toBeLessThan(0.33);
    expect(y.data.find((v) => v !== 0)).toBeCloseTo(1 / 0.7, 6);
    d.eval();
    const x = T.ones([5]);
    expect(d.forward(x)).toBe(x);
  });
  it('LayerNorm normalizes the last dim to mean 0, variance 1', () => {
    const y = new LayerNorm(8, { dtype: 'float64' }).forward(T.randn([3, 8], { dtype: 'float64' }));
    for (let r = 0; r < 3; r++) {
      const row = Array.from(y.data.slice(r * 8, r * 8 + 8));
      const mean = row.reduce((a, b) => a + b, 0) / 8;
      expect(mean).toBeCloseTo(0, 10);
      expect(row.reduce((a, b) => a + (b - mean) ** 2, 0) / 8).toBeCloseTo(1, 4);
    }
    expect(T.gradcheck((x, w) => { const ln = new LayerNorm(4, { dtype: 'float64' }); ln.weight!.data.set(w.data); return ln.forward(x); }, [T.randn([2, 4], { dtype: 'float64', requiresGrad: true }), T.randn([4], { dtype: 'float64' })]).passed).toBe(true);
  });
  it('Embedding looks up rows; activation modules apply their function', () => {
    const e = new Embedding(4, 2);
    expect(e.forward(T.tensor([[3, 0]], { dtype: 'int32' })).shape).toEqual([1, 2, 2]);
    expect(Array.from(new GELU().forward(T.tensor([0])).data)).toEqual([0]);
  });
});

describe('init', () => {
  const g = () => ({ generator: new T.Generator(5) });
  const stats = (t: T.Tensor) => {
    const v = Array.from(t.data);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), max: Math.max(...v.map(Math.abs)) };
  };
  it('xavier and kaiming have the documented spread', () => {
    const w = T.zeros([200, 300]);
    expect(stats(init.xavierUniform(w, 1, g())).max).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    expect(stats(init.xavierNormal(w, 1, g())).std).toBeCloseTo(Math.sqrt(2 / 500), 2);
    expect(stats(init.kaimingNormal(w, { nonlinearity: 'relu', ...g() })).std).toBeCloseTo(Math.sqrt(2 / 300), 2);
    expect(stats(init.kaimingUniform(w, { nonlinearity: 'relu', ...g() })).max).toBeLessThanOrEqual(Math.sqrt(2) * Math.sqrt(3 / 300));
  });
  it('orthogonal gives WᵀW = gain²·I (tall) and W·Wᵀ = gain²·I (wide)', () => {
    for (const shape of [[6, 4], [3, 5]]) {
      const w = init.orthogonal(T.zeros(shape, { dtype: 'float64' }), 2, g());
      const tall = shape[0]! >= shape[1]!;
      const prod = tall ? T.matmul(T.transpose(w, 0, 1), w) : T.matmul(w, T.transpose(w, 0, 1));
      const n = Math.min(...shape);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(prod.data[i * n + j]).toBeCloseTo(i === j ? 4 : 0, 10);
    }
  });
  it('the same generator seed gives the same weights', () => {
    const a = new LSTM(3, 5, { generator: new T.Generator(9) }), b = new LSTM(3, 5, { generator: new T.Generator(9) });
    expect(Array.from(a.parameters()[1]!.data)).toEqual(Array.from(b.parameters()[1]!.data));
  });
});
