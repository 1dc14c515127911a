/** Regression tests for the silent wrong answers and raw errors found by the audit; each is named after what it guarantees. */
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const f64 = (v: number[] | number[][], requiresGrad = false) => T.tensor(v, { dtype: 'float64', requiresGrad });
const arr = (t: T.Tensor) => Array.from(t.data);
const x = f64([
  [1, 5, 3],
  [4, 2, 6],
]);

describe('PyTorch positional dims reduce along the dim, not over everything', () => {
  it('x.sum(1), x.mean(0), x.argmax(1) and their function forms', () => {
    expect(arr(x.sum(1))).toEqual([9, 12]);
    expect(arr(T.sum(x, 1))).toEqual([9, 12]);
    expect(arr(x.mean(0))).toEqual([2.5, 3.5, 4.5]);
    expect(arr(T.mean(x, 0))).toEqual([2.5, 3.5, 4.5]);
    expect(arr(x.argmax(1))).toEqual([1, 2]);
    expect(arr(T.argmax(x, 1))).toEqual([1, 2]);
    expect(arr(T.max(x, 1))).toEqual([5, 6]);
    expect(arr(x.min(0))).toEqual([1, 2, 3]);
  });
  it('a list of dims, negative dims, and keepdim positionally', () => {
    expect(arr(x.sum([0, 1]))).toEqual([21]);
    expect(x.sum(-1, true).shape).toEqual([2, 1]);
    expect(x.logsumexp(1, true).shape).toEqual([2, 1]);
    expect(x.norm(1, 1).shape).toEqual([2]);
    expect(arr(x.norm(1, 1))).toEqual([9, 12]);
    expect(arr(x.var(1))).toEqual([4, 4]);
    expect(x.std(1, { keepdim: true }).shape).toEqual([2, 1]);
    // The options object still works, and agrees with the positional form.
    expect(arr(x.sum({ dim: 1, keepdim: true }))).toEqual(arr(x.sum(1, true)));
  });
  it('a misspelt options key is an OptionError naming it, never a full reduction', () => {
    expect(() => T.sum(x, { dims: 1 } as never)).toThrow(T.OptionError);
    expect(() => T.sum(x, { dims: 1 } as never)).toThrow("sum: unknown option 'dims' (did you mean `dim` (a number or a list)?); known options: dim, keepdim");
    expect(() => x.mean({ axis: 0 } as never)).toThrow(/unknown option 'axis' \(did you mean `dim`\?\)/);
    expect(() => x.max({ dim: 0, keepdims: true } as never)).toThrow(/unknown option 'keepdims'/);
    expect(() => x.sum(1.5)).toThrow(T.IndexError);
    expect(() => x.sum(1, 'yes' as never)).toThrow(/keepdim must be true or false/);
    expect(() => T.max(x, x as never)).toThrow(/elementwise max of two tensors is maximum/);
  });
});

describe('narrow, slice and split validate their arguments', () => {
  const v = f64([0, 1, 2, 3, 4]);
  it('narrow(x, 0, -1, 1) is the last element; windows outside the dim are IndexErrors', () => {
    expect(arr(T.narrow(v, 0, -1, 1))).toEqual([4]);
    expect(arr(v.narrow(0, -2, 2))).toEqual([3, 4]);
    expect(() => T.narrow(v, 0, 4, 2)).toThrow(T.IndexError);
    expect(() => T.narrow(v, 0, -6, 1)).toThrow(T.IndexError);
    expect(() => T.narrow(v, 0, 0, -1)).toThrow(/length -1/);
    expect(() => T.narrow(v, 0, 0.5, 1)).toThrow(T.IndexError);
  });
  it('split takes a positive integer size or non-negative integer sizes that add up', () => {
    expect(() => T.split(v, 1.5)).toThrow(/size must be a positive integer, got 1.5/);
    expect(() => T.split(v, [5, -2])).toThrow(/non-negative integer sizes/);
    expect(() => T.split(v, 0)).toThrow(T.ValueError);
    expect(T.split(v, [2, 3]).map((t) => t.size)).toEqual([2, 3]);
    expect(() => T.chunk(v, 0)).toThrow(/chunks must be a positive integer/);
    expect(() => T.slice(v, 0, 0.5)).toThrow(T.IndexError);
  });
});

describe('int32 never wraps around', () => {
  it('randint bounds, int32 values and random int32 tensors are errors', () => {
    expect(() => T.randint(0, 2 ** 33, [2])).toThrow(/high must be an integer with low < high ≤ 2147483648/);
    expect(T.randint(0, 2 ** 31, [4]).dtype).toBe('int32');
    expect(() => T.tensor([2 ** 31], { dtype: 'int32' })).toThrow(/int32 tensors take integers from -2147483648 to 2147483647, got 2147483648/);
    expect(() => T.full([1], -(2 ** 31) - 1, { dtype: 'int32' })).toThrow(T.ValueError);
    expect(() => T.rand([2], { dtype: 'int32' as never })).toThrow(T.DTypeError);
    expect(() => T.randn([2], { dtype: 'int32' as never })).toThrow(/randn makes float32 or float64 tensors/);
    expect(() => T.arange(2.1e9, 2.3e9, 1e8, { dtype: 'int32' })).toThrow(/last value 2200000000 is not an int32/);
  });
});

describe('softmax, logSoftmax and crossEntropy are exact at any logit scale', () => {
  it('softmax of equal logits is uniform up to 1e30, in float32 and float64', () => {
    for (const M of [1e3, 1e8, 1e15, 1e30])
      for (const dtype of ['float32', 'float64'] as const) {
        const s = T.softmax(T.tensor([M, M, M], { dtype }));
        arr(s).forEach((p) => expect(p).toBeCloseTo(1 / 3, 6));
        arr(T.logSoftmax(T.tensor([M, M, M], { dtype }))).forEach((l) => expect(l).toBeCloseTo(-Math.log(3), 6));
      }
  });
  it('crossEntropy of [M, M, M−1] stays 1 + log(2 + e⁻¹) ≈ 1.8620 while M − 1 is representable', () => {
    const expected = 1 + Math.log(2 + Math.exp(-1));
    for (const M of [1, 1e4, 1e8, 1e12, 1e15]) {
      const loss = T.crossEntropy(f64([[M, M, M - 1]]), T.tensor([2], { dtype: 'int32' }));
      expect(loss.item()).toBeCloseTo(expected, 12);
    }
    // The gradient stays softmax − onehot.
    const z = f64([[1e15, 1e15, 1e15 - 1]], true);
    T.crossEntropy(z, T.tensor([2], { dtype: 'int32' })).backward();
    const p = [1, 1, Math.exp(-1)].map((e) => e / (2 + Math.exp(-1)));
    arr(z.grad!).forEach((g, i) => expect(g).toBeCloseTo(p[i]! - (i === 2 ? 1 : 0), 12));
  });
});

describe('bad input is a named TapegradError, never a raw JS error', () => {
  it('non-tensors, null options, unknown dtypes and impossible sizes', () => {
    expect(() => T.exp(3 as never)).toThrow(T.TapegradError);
    expect(() => T.add(null as never, x)).toThrow(/add: a must be a Tensor or a number, got null/);
    expect(() => T.add(1, 2 as never)).toThrow(/at least one operand must be a Tensor/);
    expect(() => T.zeros([2], null as never)).toThrow(/options must be an object, got null/);
    expect(() => T.zeros([2], { dtype: 'float16' as never })).toThrow(T.DTypeError);
    expect(() => T.zeros([2], { dtype: 'float16' as never })).toThrow("zeros: unknown dtype 'float16'; expected 'float32', 'float64', 'int32'");
    expect(() => T.zeros([1e9, 1e9])).toThrow(T.AllocationError);
    expect(() => T.zeros([1e9, 1e9])).toThrow(/has 1000000000000000000 elements; a tensor holds at most 2147483647/);
    expect(() => T.reshape(x, null as never)).toThrow(T.ShapeError);
    expect(() => T.matmul(x, 'w' as never)).toThrow(/matmul: b must be a Tensor, got 'w'/);
    expect(() => x.transpose(Symbol('d') as never)).toThrow(T.IndexError);
    expect(() => T.crossEntropy(x, [1, 0] as never)).toThrow(/target must be a Tensor/);
    expect(() => T.mseLoss(x, x, { reduction: 'avg' as never })).toThrow(/reduction must be one of 'mean', 'sum', 'none', got 'avg'/);
  });
  it('a failed op records nothing and changes no input', () => {
    const a = f64([1, 2], true);
    expect(() => T.matmul(a, f64([1, 2, 3]))).toThrow(T.ShapeError);
    expect(a.grad).toBeNull();
    expect(a.isLeaf).toBe(true);
  });
});

describe('Generator.setState validates its input', () => {
  it('an all-zero xoshiro state (which would hang randn) and a missing spare are errors; the stream is unchanged', () => {
    const g = new T.Generator(7);
    const copy = new T.Generator(7);
    expect(() => g.setState({ s: [0, 0, 0, 0], spare: null })).toThrow(/all zeros/);
    expect(() => g.setState({ s: [1, 2, 3, 4] } as never)).toThrow(/spare must be a finite number or null, got undefined/);
    expect(() => g.setState({ s: [1, 2, 3], spare: null } as never)).toThrow(/four 32-bit integers/);
    expect(() => g.setState({ s: [1, 2, 3, 1.5], spare: null })).toThrow(/four 32-bit integers/);
    expect(() => g.setState({ s: [1, 2, 3, 4], spare: NaN })).toThrow(/spare/);
    expect(() => g.setState(null as never)).toThrow(T.ValueError);
    expect(g.normal()).toBe(copy.normal());
    // A valid state round-trips exactly.
    const state = g.getState();
    const draws = [g.normal(), g.random()];
    g.setState(state);
    expect([g.normal(), g.random()]).toEqual(draws);
  });
});
