/** The backend kernels agree with naive reference loops. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernels } from '../src/backend/index.js';

const naiveGemm = (tA: boolean, tB: boolean, M: number, N: number, K: number, a: Float64Array, b: Float64Array) => {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (tA ? a[k * M + i]! : a[i * K + k]!) * (tB ? b[j * K + k]! : b[k * N + j]!);
      c[i * N + j] = s;
    }
  return c;
};

describe('gemm', () => {
  it('every transpose form equals the naive triple loop, with and without accumulation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.boolean(), (M, N, K, tA, tB, acc) => {
        const a = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i + 1));
        const b = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.7));
        const c = new Float64Array(M * N).fill(acc ? 1 : 99);
        kernels.gemm({ transA: tA, transB: tB, M, N, K, a, aOffset: 0, b, bOffset: 0, c, cOffset: 0, accumulate: acc });
        const want = naiveGemm(tA, tB, M, N, K, a, b);
        want.forEach((v, i) => expect(c[i]).toBeCloseTo(v + (acc ? 1 : 0), 12));
      }),
      { numRuns: 60 },
    );
  });
});

describe('broadcast and sumToShape', () => {
  it('sumToShape is the adjoint of broadcastTo: <broadcast(x), g> = <x, sumToShape(g)>', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (out, ones) => {
        const small = out.map((d, i) => (ones[i] ? 1 : d));
        const n = small.reduce((p, d) => p * d, 1), m = out.reduce((p, d) => p * d, 1);
        const x = Float64Array.from({ length: n }, (_, i) => i + 1);
        const g = Float64Array.from({ length: m }, (_, i) => Math.sin(i));
        const bx = kernels.broadcastTo(x, small, out);
        const sg = kernels.sumToShape(g, out, small);
        const lhs = bx.reduce((s, v, i) => s + v * g[i]!, 0);
        const rhs = x.reduce((s, v, i) => s + v * sg[i]!, 0);
        expect(lhs).toBeCloseTo(rhs, 9);
      }),
    );
  });
});
