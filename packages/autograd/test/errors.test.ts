/** Errors name the op and the offending values, and leave every tensor unchanged. */
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const f = (shape: number[], requiresGrad = false) => T.zeros(shape, { dtype: 'float64', requiresGrad });

describe('errors name the op and the values', () => {
  it('shape mismatch in broadcasting', () => {
    expect(() => T.add(f([2, 3]), f([4]))).toThrow(T.ShapeError);
    expect(() => T.add(f([2, 3]), f([4]))).toThrow('add: shapes [2,3] and [4] cannot be broadcast together');
  });
  it('matmul inner dimensions', () => {
    expect(() => T.matmul(f([2, 3]), f([4, 5]))).toThrow('matmul: inner dimensions differ: [2,3] @ [4,5]');
  });
  it('linear weight layout', () => {
    expect(() => T.linear(f([2, 3]), f([4, 5]))).toThrow(/linear: input's last dim must be 5/);
  });
  it('dtype mismatch', () => {
    expect(() => T.mul(T.ones([2]), T.ones([2], { dtype: 'float64' }))).toThrow(T.DTypeError);
    expect(() => T.mul(T.ones([2]), T.ones([2], { dtype: 'float64' }))).toThrow(/mul: dtype mismatch: a is float32 but b is float64/);
    expect(() => T.tanh(T.tensor([1], { dtype: 'int32' }))).toThrow(/tanh: input must be float32 or float64, got int32/);
  });
  it('dim out of range', () => {
    expect(() => T.sum(f([2, 3]), { dim: 2 })).toThrow(T.IndexError);
    expect(() => T.softmax(f([2, 3]), -3)).toThrow('softmax: dim -3 is out of range for a tensor of 2 dimension(s) (shape [2,3]); expected -2..1');
  });
  it('index out of range', () => {
    expect(() => T.indexSelect(f([3, 2]), 0, [0, 3])).toThrow('indexSelect: index 3 at position 1 is out of range for a dimension of size 3');
    expect(() => T.embedding(f([4, 2]), T.tensor([[1, 9]], { dtype: 'int32' }))).toThrow(/embedding: index 9/);
    expect(() => T.crossEntropy(f([2, 3]), T.tensor([0, 3], { dtype: 'int32' }))).toThrow(/target 3 at position 1 is out of range for 3 classes/);
  });
  it('reshape to an incompatible size', () => {
    expect(() => T.reshape(f([2, 3]), [4, -1])).toThrow('reshape: cannot reshape [2,3] (6 elements) to [4,-1]');
  });
  it('non-scalar backward without a gradient', () => {
    const x = f([2], true);
    expect(() => x.mul(2).backward()).toThrow('backward: output has shape [2]; a non-scalar output needs an explicit gradient of the same shape');
  });
  it('backward on a tensor that does not require grad', () => {
    expect(() => f([1]).backward()).toThrow(T.GraphError);
  });
  it('ragged nested arrays', () => {
    expect(() => T.tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
  it('gradcheck failures name the input, the element and both values', () => {
    const bad = T.customOp({ name: 'bad', forward: (x: T.Tensor) => ({ out: T.noGrad(() => x.mul(2)), saved: null }), backward: (_s, g) => [g.mul(3)] });
    expect(() => T.gradcheck(bad, [T.tensor([1, 2], { dtype: 'float64', requiresGrad: true })])).toThrow(/input 0 \(shape \[2\]\) at flat index 0: analytic -?[\d.]+ vs numeric -?[\d.]+/);
  });
});

describe('a failed call leaves every tensor it touched unchanged', () => {
  it('inputs keep their data, grad and graph after a failing op', () => {
    const a = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = T.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const before = Array.from(a.data);
    expect(() => a.add(b)).toThrow();
    expect(() => T.cat([a, T.ones([1, 3], { dtype: 'float64' })])).toThrow();
    expect(Array.from(a.data)).toEqual(before);
    expect(a.grad).toBeNull();
    expect(a.isLeaf).toBe(true);
    a.sum().backward();
    expect(Array.from(a.grad!.data)).toEqual([1, 1, 1]);
  });
});
