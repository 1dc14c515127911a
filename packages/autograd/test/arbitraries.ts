/** fast-check generators for shapes (incl. 0-d and size-1 dims), broadcast pairs and values away from kinks. */
import fc from 'fast-check';
import { Tensor } from '../src/index.js';

export const shapeArb = (maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

/** Two shapes that broadcast: dims dropped from the front or set to 1 at random. */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb(3, 3).chain((out) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }), fc.nat(out.length), fc.nat(out.length)).map(([ones1, ones2, drop1, drop2]) => {
    const a = out.map((d, i) => (ones1[i] ? 1 : d)).slice(Math.min(drop1, out.length));
    const b = out.map((d, i) => (ones2[i] && !ones1[i] ? 1 : d)).slice(Math.min(drop2, out.length));
    return [a, b] as [number[], number[]];
  }),
);

export interface ValueRange {
  min?: number;
  max?: number;
  /** Keep values at least this far from each of these points (kinks). */
  avoid?: number[];
  gap?: number;
}

/** A float64 tensor of the given shape with values in range and away from kinks. */
export function tensorArb(shape: readonly number[], range: ValueRange = {}, requiresGrad = true): fc.Arbitrary<Tensor> {
  const n = shape.reduce((p, d) => p * d, 1);
  const min = range.min ?? -2, max = range.max ?? 2;
  const gap = range.gap ?? 0.05;
  return fc.array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }).map((values) => {
    const data = Float64Array.from(values, (v) => {
      for (const k of range.avoid ?? []) if (Math.abs(v - k) < gap) v = k + (v >= k ? gap : -gap) * 2;
      return v;
    });
    return new Tensor(data, shape, requiresGrad);
  });
}

/**
 * Operands of a gemm property case: A (M×K) and B (K×N) with `off` and 2·`off`
 * leading padding floats, and C (M×N after `off`) holding values to add to
 * when accumulating, else a sentinel that must be overwritten.
 */
export function gemmOperands(M: number, N: number, K: number, accumulate: boolean, off: number): { a: Float32Array; b: Float32Array; c0: Float32Array } {
  return {
    a: Float32Array.from({ length: M * K + off }, (_, i) => Math.sin(i * 1.3 + 1)),
    b: Float32Array.from({ length: K * N + 2 * off }, (_, i) => Math.cos(i * 0.7)),
    c0: Float32Array.from({ length: M * N + off }, (_, i) => (accumulate ? Math.sin(i) : 99)),
  };
}
