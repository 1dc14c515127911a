/**
 * General matrix multiply on row-major typed arrays:
 *   C[M,N] (+)= op(A) · op(B),  op(A) is [M,K], op(B) is [K,N]
 * where op(X) = X or Xᵀ. Offsets select one matrix of a batch.
 *
 * The no-transpose and Aᵀ forms use the i-k-j order (the inner loop streams a
 * row of B and a row of C); four rows of C are computed together so each row
 * of B is loaded once per four rows. The Bᵀ form is a dot product of two
 * contiguous rows.
 */
import type { FloatArray } from './dtype.js';

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  a: FloatArray;
  aOffset: number;
  b: FloatArray;
  bOffset: number;
  c: FloatArray;
  cOffset: number;
  /** Add into C instead of overwriting it. */
  accumulate: boolean;
}

export function gemm(args: GemmArgs): void {
  const { transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate } = args;
  if (!accumulate) c.fill(0, cOffset, cOffset + M * N);
  if (transB) gemmBT(transA, M, N, K, a, aOffset, b, bOffset, c, cOffset);
  else gemmNN(transA, M, N, K, a, aOffset, b, bOffset, c, cOffset);
}

/** C += op(A) · B with B [K,N] row-major. A is [M,K], or [K,M] when transA. */
function gemmNN(transA: boolean, M: number, N: number, K: number, a: FloatArray, ao: number, b: FloatArray, bo: number, c: FloatArray, co: number): void {
  // element (i,k) of op(A)
  const ars = transA ? 1 : K; // step between rows i
  const aks = transA ? M : 1; // step between columns k
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const c0 = co + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
    const a0 = ao + i * ars;
    for (let k = 0; k < K; k++) {
      const ak = a0 + k * aks;
      const v0 = a[ak]!, v1 = a[ak + ars]!, v2 = a[ak + 2 * ars]!, v3 = a[ak + 3 * ars]!;
      const bk = bo + k * N;
      for (let j = 0; j < N; j++) {
        const bv = b[bk + j]!;
        c[c0 + j] += v0 * bv;
        c[c1 + j] += v1 * bv;
        c[c2 + j] += v2 * bv;
        c[c3 + j] += v3 * bv;
      }
    }
  }
  for (; i < M; i++) {
    const ci = co + i * N;
    const ai = ao + i * ars;
    for (let k = 0; k < K; k++) {
      const v = a[ai + k * aks]!;
      if (v === 0) continue;
      const bk = bo + k * N;
      for (let j = 0; j < N; j++) c[ci + j] += v * b[bk + j]!;
    }
  }
}

/** C += op(A) · Bᵀ with B stored [N,K] row-major: each C[i,j] is a dot of two K-vectors. */
function gemmBT(transA: boolean, M: number, N: number, K: number, a: FloatArray, ao: number, b: FloatArray, bo: number, c: FloatArray, co: number): void {
  if (transA) {
    // Rare form (Aᵀ·Bᵀ): fall back to a plain triple loop.
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + k * M + i]! * b[bo + j * K + k]!;
        c[co + i * N + j] += s;
      }
    return;
  }
  let j = 0;
  // Four columns of C (four rows of B) per pass over a row of A.
  for (; j + 4 <= N; j += 4) {
    const b0 = bo + j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
    for (let i = 0; i < M; i++) {
      const ai = ao + i * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = a[ai + k]!;
        s0 += av * b[b0 + k]!;
        s1 += av * b[b1 + k]!;
        s2 += av * b[b2 + k]!;
        s3 += av * b[b3 + k]!;
      }
      const ci = co + i * N + j;
      c[ci] += s0;
      c[ci + 1] += s1;
      c[ci + 2] += s2;
      c[ci + 3] += s3;
    }
  }
  for (; j < N; j++) {
    const bj = bo + j * K;
    for (let i = 0; i < M; i++) {
      const ai = ao + i * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ai + k]! * b[bj + k]!;
      c[co + i * N + j] += s;
    }
  }
}
