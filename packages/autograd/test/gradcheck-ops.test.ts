/**
 * Every op's backward agrees with float64 central differences, for random
 * shapes (0-d, size-1 dims, broadcasting) and values away from kinks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { broadcastPairArb, shapeArb, tensorArb } from './arbitraries.js';
import { binaryCases, unaryCases } from './op-cases.js';

const RUNS = { numRuns: 20 };
const check = (fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[]) => {
  const r = T.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5, raiseException: false });
  expect(r.message ?? 'ok').toBe('ok');
};

describe('gradcheck: unary ops match central differences on random shapes', () => {
  for (const [name, fn, range] of unaryCases) {
    it(`${name}: gradient equals central difference`, () => {
      fc.assert(fc.property(shapeArb().chain((s) => tensorArb(s, range)), (x) => check(fn, [x])), RUNS);
    });
  }
});

describe('gradcheck: broadcasting binary ops sum gradients back to each input shape', () => {
  for (const [name, fn, ra, rb] of binaryCases) {
    it(`${name}: gradient equals central difference under broadcasting`, () => {
      fc.assert(fc.property(broadcastPairArb.chain(([sa, sb]) => fc.tuple(tensorArb(sa, ra), tensorArb(sb, rb))), ([a, b]) => check(fn, [a, b])), RUNS);
    });
  }
  it('where: gradient goes to the chosen branch, summed over broadcast dims', () => {
    fc.assert(
      fc.property(broadcastPairArb.chain(([sa, sb]) => fc.tuple(tensorArb(sa, {}, false), tensorArb(sa), tensorArb(sb))), ([c, a, b]) => check((x, y) => T.where(T.gt(c, 0), x, y), [a, b])),
      RUNS,
    );
  });
  it('maximum with ties splits the gradient in half', () => {
    const a = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = T.tensor([1, 0, 5], { dtype: 'float64', requiresGrad: true });
    T.maximum(a, b).sum().backward();
    expect(Array.from(a.grad!.data)).toEqual([0.5, 1, 0]);
    expect(Array.from(b.grad!.data)).toEqual([0.5, 0, 1]);
  });
});

/** Values 0.05 apart at least (by rank), so no central difference crosses a tie. */
const separated = (x: Tensor): Tensor => {
  const order = Array.from(x.data.keys()).sort((i, j) => x.data[i]! - x.data[j]! || i - j);
  const data = new Float64Array(x.size);
  order.forEach((i, rank) => (data[i] = rank * 0.05 - 1 + x.data[i]! * 0.001));
  return new T.Tensor(data, x.shape, true);
};

const dimsArb = (shape: number[]) => (shape.length === 0 ? fc.constant(undefined) : fc.oneof(fc.constant(undefined), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.subarray(shape.map((_, i) => i), { minLength: 1 })));

describe('gradcheck: reductions over any dims, keepdim or not', () => {
  const reductions: [string, (x: Tensor, dim: number | number[] | undefined, keepdim: boolean) => Tensor][] = [
    ['sum', (x, dim, keepdim) => T.sum(x, { dim, keepdim })],
    ['mean', (x, dim, keepdim) => T.mean(x, { dim, keepdim })],
    ['logsumexp', (x, dim, keepdim) => T.logsumexp(x, { dim, keepdim })],
    ['var', (x, dim, keepdim) => T.variance(x, { dim, keepdim, unbiased: false })],
    ['norm 2', (x, dim, keepdim) => T.norm(x, 2, { dim, keepdim })],
    ['norm 1', (x, dim, keepdim) => T.norm(x, 1, { dim, keepdim })],
    ['norm 3', (x, dim, keepdim) => T.norm(x, 3, { dim, keepdim })],
  ];
  for (const [name, fn] of reductions) {
    it(`${name}: gradient equals central difference`, () => {
      fc.assert(
        fc.property(
          shapeArb().chain((s) => fc.tuple(tensorArb(s, { avoid: [0], gap: 0.1 }), dimsArb(s), fc.boolean())),
          ([x, dim, keepdim]) => check((t) => fn(t, dim, keepdim), [x]),
        ),
        RUNS,
      );
    });
  }
  it('std over at least two elements (N − 1 > 0 and a non-zero spread)', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 })).chain(([a, b]) => fc.tuple(tensorArb([a, b]).map(separated), fc.constantFrom<number | number[] | undefined>(0, 1, -1, [0, 1], undefined), fc.boolean())), ([x, dim, unbiased]) =>
        check((t) => T.std(t, { dim, unbiased }), [x]),
      ),
      RUNS,
    );
  });
  it('max/min along a dim: gradient goes to the selected element', () => {
    fc.assert(
      fc.property(
        // distinct values: a tie is a kink where max has no derivative
        shapeArb(3, 4).filter((s) => s.length > 0).chain((s) => fc.tuple(tensorArb(s).map(separated), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean())),
        ([x, dim, keepdim]) => {
          check((t) => T.max(t, { dim, keepdim }), [x]);
          check((t) => T.min(t, { dim, keepdim }), [x]);
        },
      ),
      RUNS,
    );
  });
  it('max over all elements shares the gradient among ties', () => {
    const x = T.tensor([3, 1, 3], { dtype: 'float64', requiresGrad: true });
    T.max(x).backward();
    expect(Array.from(x.grad!.data)).toEqual([0.5, 0, 0.5]);
  });
});

describe('gradcheck: shape ops route gradients back to the right elements', () => {
  const shaped = (fn: (x: Tensor) => Tensor) => fc.property(shapeArb(3, 4).filter((s) => s.length >= 2).chain((s) => tensorArb(s)), (x) => check(fn, [x]));
  it('reshape / flatten / squeeze / unsqueeze', () => {
    fc.assert(shaped((x) => T.unsqueeze(T.flatten(x), 0).squeeze(0).reshape([-1, 1])), RUNS);
  });
  it('transpose and permute', () => {
    fc.assert(shaped((x) => T.transpose(x, 0, -1).mul(T.permute(x, [...x.shape.keys()].reverse()))), RUNS);
  });
  it('slice with steps and select', () => {
    fc.assert(shaped((x) => T.cat([T.slice(x, -1, 0, undefined, 2), T.slice(x, -1, 1, -1)], -1).sum({ dim: 0 }).add(T.select(x, 0, -1).sum())), RUNS);
  });
  it('expand sums the gradient over expanded dims', () => {
    fc.assert(fc.property(shapeArb(2, 3).chain((s) => tensorArb([...s, 1])), (x) => check((t) => T.expand(t, [2, ...t.shape.slice(0, -1), 3]), [x])), RUNS);
  });
  it('unbind returns every slice and assembles the gradient of all of them', () => {
    fc.assert(shaped((x) => T.stack(T.unbind(x, 1).map((p, i) => T.mul(p, i + 1)), 0)), RUNS);
    fc.assert(shaped((x) => T.unbind(x, -1)[0]!), RUNS);
  });
  it('cat and stack', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([a, b, c]) => fc.tuple(tensorArb([a, c]), tensorArb([b, c]), tensorArb([a, c]))), ([x, y, z]) => {
        check((p, q) => T.cat([p, q], 0), [x, y]);
        check((p, q) => T.stack([p, q], 1), [x, z]);
      }),
      RUNS,
    );
  });
  it('indexSelect, embedding and gather accumulate repeated indices', () => {
    fc.assert(
      fc.property(tensorArb([4, 3]), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }), (x, ids) => {
        check((t) => T.indexSelect(t, 0, ids), [x]);
        check((t) => T.embedding(t, T.tensor([ids], { dtype: 'int32' })), [x]);
        check((t) => T.gather(t, 0, T.tensor([ids.slice(0, 1).concat(ids).slice(0, 3)], { dtype: 'int32' })), [x]);
      }),
      RUNS,
    );
  });
  it('to(): a cast between float dtypes passes the gradient back in the input dtype', () => {
    const x = T.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    T.to(x, 'float32').mul(3).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
  });
});

describe('gradcheck: matmul and linear', () => {
  const dimsArb3 = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }));
  it('2-D, batched with broadcast batch, matrix-vector and vector-matrix', () => {
    fc.assert(
      fc.property(dimsArb3.chain(([m, k, n, b]) => fc.tuple(tensorArb([m, k]), tensorArb([k, n]), tensorArb([b, 1, m, k]), tensorArb([2, k, n]), tensorArb([k]))), ([a2, b2, a4, b3, v]) => {
        check(T.matmul, [a2, b2]);
        check(T.matmul, [a4, b3]);
        check(T.matmul, [a2, v]);
        check(T.matmul, [v, b2]);
        check(T.matmul, [v, v]);
      }),
      RUNS,
    );
  });
  it('linear on [..., in] inputs, with and without bias', () => {
    fc.assert(
      fc.property(dimsArb3.chain(([m, k, n, b]) => fc.tuple(tensorArb([b, m, k]), tensorArb([n, k]), tensorArb([n]))), ([x, w, bias]) => {
        check(T.linear, [x, w, bias]);
        check((p, q) => T.linear(p, q), [x, w]);
      }),
      RUNS,
    );
  });
});

describe('gradcheck: softmax family and losses', () => {
  const logitsArb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 })).chain(([n, c]) => fc.tuple(tensorArb([n, c], { min: -4, max: 4 }), fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n })));
  it('softmax and logSoftmax along any dim', () => {
    fc.assert(fc.property(shapeArb(3, 4).filter((s) => s.length > 0).chain((s) => fc.tuple(tensorArb(s), fc.integer({ min: -s.length, max: s.length - 1 }))), ([x, d]) => {
      check((t) => T.softmax(t, d), [x]);
      check((t) => T.logSoftmax(t, d), [x]);
    }), RUNS);
  });
  it('crossEntropy with label smoothing, class weights, ignoreIndex and every reduction', () => {
    fc.assert(
      fc.property(logitsArb, fc.constantFrom<T.Reduction>('mean', 'sum', 'none'), fc.double({ min: 0, max: 0.5, noNaN: true }), ([x, ys], reduction, eps) => {
        const c = x.shape[1]!;
        const y = T.tensor(ys.map((v, i) => (i === 0 && ys.length > 1 ? -100 : v)), { dtype: 'int32' });
        const weight = T.tensor(Array.from({ length: c }, (_, i) => 0.5 + i / c), { dtype: 'float64' });
        check((t) => T.crossEntropy(t, y, { reduction, labelSmoothing: eps, weight }), [x]);
        check((t) => T.crossEntropy(t, y, { reduction, labelSmoothing: eps }), [x]);
      }),
      RUNS,
    );
  });
  it('nllLoss directly, and crossEntropy against class probabilities', () => {
    fc.assert(
      fc.property(logitsArb, fc.constantFrom<T.Reduction>('mean', 'sum', 'none'), ([x, ys], reduction) => {
        const y = T.tensor(ys, { dtype: 'int32' });
        check((t) => T.nllLoss(T.logSoftmax(t, 1), y, { reduction }), [x]);
        const probs = T.softmax(T.tensor(Array.from(x.data, (v) => -v), { shape: [...x.shape], dtype: 'float64' }), 1);
        check((t) => T.crossEntropy(t, probs, { reduction, labelSmoothing: 0.1 }), [x]);
      }),
      RUNS,
    );
  });
  it('regression and binary losses', () => {
    fc.assert(
      fc.property(shapeArb(2, 3).filter((s) => s.length > 0).chain((s) => fc.tuple(tensorArb(s), tensorArb(s, { min: 0, max: 1 }, false), tensorArb(s, {}, false))), ([x, p, y]) => {
        const shifted = T.add(y, 0.5); // keeps |x − y| away from the kinks of l1/huber
        check((t) => T.mseLoss(t, y), [x]);
        check((t) => T.l1Loss(T.add(t, 3), y, { reduction: 'sum' }), [x]);
        check((t) => T.huberLoss(t, shifted, { delta: 0.7 }), [x]);
        check((t) => T.smoothL1Loss(t, shifted, { beta: 0.3, reduction: 'none' }), [x]);
        check((t) => T.bceWithLogits(t, p), [x]);
        check((t) => T.bceWithLogits(t, p, { posWeight: T.full([x.shape[x.ndim - 1]!], 2, { dtype: 'float64' }) }), [x]);
      }),
      RUNS,
    );
  });
});
