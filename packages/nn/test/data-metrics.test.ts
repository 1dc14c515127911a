/** TensorDataset / DataLoader, the metrics and summary: what a training loop relies on. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { DataLoader, GRU, Linear, Module, RunningMean, Sequential, TensorDataset, Tanh, accuracy, confusionMatrix, defaultCollate, summary } from '../src/index.js';
import type { Tensor } from '@tapegrad/autograd';

const rows = (t: Tensor) => Array.from({ length: t.shape[0]! }, (_, i) => Array.from(T.select(t, 0, i).data));

describe('DataLoader', () => {
  it('invariant: one epoch visits every sample exactly once, in batches of batchSize (the last smaller unless dropLast)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.boolean(), fc.nat(1000), (n, batchSize, shuffle, dropLast, seed) => {
        const ids = T.arange(0, n, 1, { dtype: 'float64' });
        const loader = new DataLoader(new TensorDataset(ids, T.mul(ids, 10)), { batchSize, shuffle, dropLast, generator: new T.Generator(seed) });
        const seen: number[] = [];
        let batches = 0;
        for (const [x, y] of loader as Iterable<Tensor[]>) {
          batches++;
          expect(x!.shape[0]).toBeLessThanOrEqual(batchSize);
          if (dropLast) expect(x!.shape[0]).toBe(batchSize);
          expect(Array.from(y!.data)).toEqual(Array.from(x!.data, (v) => v * 10)); // rows stay aligned
          seen.push(...x!.data);
        }
        expect(batches).toBe(loader.length);
        const expected = dropLast ? Math.floor(n / batchSize) * batchSize : n;
        expect(seen.length).toBe(expected);
        expect(new Set(seen).size).toBe(expected);
        if (!shuffle) expect(seen).toEqual(Array.from({ length: expected }, (_, i) => i));
      }),
      { numRuns: 60 },
    );
  });
  it('a seed fixes the epochs; each epoch reshuffles; different seeds differ', () => {
    const ds = new TensorDataset(T.arange(0, 50, 1, { dtype: 'float64' }));
    const epochs = (seed: number) => {
      const loader = new DataLoader(ds, { batchSize: 50, shuffle: true, generator: new T.Generator(seed) });
      return [0, 1].map(() => Array.from([...(loader as Iterable<Tensor[]>)][0]![0]!.data));
    };
    const [a1, a2] = epochs(1);
    expect(epochs(1)).toEqual([a1, a2]);
    expect(a1).not.toEqual(a2);
    expect(epochs(2)[0]).not.toEqual(a1);
  });
  it('collates plain arrays of samples: numbers, typed arrays, nested arrays, tensors and tuples', () => {
    const samples: [Float32Array, number][] = [[Float32Array.of(1, 2), 0], [Float32Array.of(3, 4), 1], [Float32Array.of(5, 6), 1]];
    const [[x, y]] = [...new DataLoader(samples, { batchSize: 3 })] as [Tensor, Tensor][];
    expect(x!.shape).toEqual([3, 2]);
    expect(rows(x!)).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(Array.from(y!.data)).toEqual([0, 1, 1]);
    const nested = defaultCollate([[[1, 2]], [[3, 4]]], 'float64') as Tensor;
    expect(nested.shape).toEqual([2, 1, 2]);
    expect(nested.dtype).toBe('float64');
    expect((defaultCollate([T.ones([2]), T.zeros([2])]) as Tensor).shape).toEqual([2, 2]);
    expect((defaultCollate([1, 2], 'int32') as Tensor).dtype).toBe('int32');
    const custom = new DataLoader([1, 2, 3], { batchSize: 2, collate: (s) => s.reduce((a, b) => a + b, 0) });
    expect([...custom]).toEqual([3, 3]);
  });
  it('rejects bad datasets, options and samples by name', () => {
    expect(() => new TensorDataset(T.zeros([3]), T.zeros([4]))).toThrow(/same first dimension/);
    expect(() => new DataLoader([1], { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader([1], { batch_size: 2 } as never)).toThrow(T.OptionError);
    expect(() => new DataLoader(42 as never)).toThrow(/dataset must be/);
    expect(() => [...new DataLoader([Float32Array.of(1), Float32Array.of(1, 2)], { batchSize: 2 })]).toThrow(/sample 1 has 2 values/);
    expect(() => new TensorDataset(T.zeros([2])).get(2)).toThrow(/out of range/);
  });
});

describe('metrics', () => {
  const logits = T.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.4, 0.35, 0.25]]);
  const y = T.tensor([1, 1, 2, 1], { dtype: 'int32' });
  it('accuracy: top-1 and top-k against hand-counted values', () => {
    expect(accuracy(logits, y)).toBe(0.5);
    expect(accuracy(logits, y, { topk: 2 })).toBe(1);
    expect(accuracy(logits, y, { topk: 3 })).toBe(1);
    expect(() => accuracy(logits, y, { topk: 4 })).toThrow(/topk/);
    // A diverged model's NaN logits are wrong answers, not right ones (every comparison with NaN is false).
    expect(accuracy(T.tensor([[NaN, NaN, NaN], [0.1, NaN, 0.2]]), T.tensor([0, 2], { dtype: 'int32' }))).toBe(0);
    expect(() => accuracy(logits, T.tensor([1, 1, 2, 3], { dtype: 'int32' }))).toThrow(/target 3 at position 3/);
  });
  it('confusionMatrix: rows are true classes, columns predictions; from logits or indices', () => {
    const m = confusionMatrix(logits, y);
    expect(m.dtype).toBe('int32');
    expect(rows(m)).toEqual([[0, 0, 0], [2, 1, 0], [0, 0, 1]]);
    expect(rows(confusionMatrix(T.tensor([0, 2], { dtype: 'int32' }), T.tensor([0, 1], { dtype: 'int32' }), 3))).toEqual([[1, 0, 0], [0, 0, 1], [0, 0, 0]]);
    expect(() => confusionMatrix(T.tensor([0], { dtype: 'int32' }), T.tensor([0], { dtype: 'int32' }))).toThrow(/numClasses/);
  });
  it('RunningMean: the weighted mean of what was added; reset forgets', () => {
    const r = new RunningMean().add(1, 2).add(T.tensor(4), 1);
    expect(r.mean).toBe(2);
    expect(r.count).toBe(2);
    expect(r.reset().mean).toBeNaN();
    expect(() => r.add(NaN)).toThrow(/finite/);
  });
});

describe('summary', () => {
  class Net extends Module {
    rnn = new GRU(3, 4, { batchFirst: true });
    head = new Sequential(new Linear(4, 5), new Tanh(), new Linear(5, 2));
    forward(x: Tensor) {
      return this.head.forward(T.select(this.rnn.forward(x).out, 1, -1));
    }
  }
  it('lists every module with its output shape and own parameters, and totals that match numParameters()', () => {
    const net = new Net();
    net.train();
    const s = summary(net, [2, 7, 3]);
    const byName = Object.fromEntries(s.rows.map((r) => [r.name, r]));
    expect(byName['']!.outputShape).toEqual([2, 2]);
    expect(byName.rnn!).toMatchObject({ type: 'GRU', outputShape: [2, 7, 4], params: 3 * 4 * 3 + 3 * 4 * 4 + 2 * 3 * 4 });
    expect(byName['head.0']!).toMatchObject({ type: 'Linear', outputShape: [2, 5], params: 25 });
    expect(byName['head.1']!).toMatchObject({ type: 'Tanh', outputShape: [2, 5], params: 0 });
    expect(s.totalParams).toBe(net.numParameters());
    expect(s.rows.reduce((n, r) => n + r.params, 0)).toBe(s.totalParams);
    expect(String(s)).toMatch(/rnn\s+GRU\s+\[2, 7, 4\]\s+108/);
    expect(String(s)).toMatch(/total params: 145/);
    // The model is left as it was: training mode, and its own forward (no observer left behind).
    expect(net.training).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(net.rnn, 'forward')).toBe(false);
  });
});
