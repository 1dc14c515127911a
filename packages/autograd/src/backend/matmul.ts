/**
 * General matrix multiply on row-major typed arrays:
 *   C[M,N] (+)= op(A) · op(B),  op(A) is [M,K], op(B) is [K,N]
 * where op(X) = X or Xᵀ. Offsets select one matrix of a batch.
 *
 * Every transpose form runs the same register-blocked micro-kernel: a 4×4
 * block of C lives in 16 local variables while k runs, so each step loads
 * four values of A and four of B for sixteen multiply-adds and C is touched
 * once per block. Element (i,k) of op(A) is a[i·ars + k·aks] and (k,j) of
 * op(B) is b[k·bks + j·bjs]; the strides encode the transposes. Edges that
 * do not fill a 4×4 block fall back to a plain dot product.
 */
import type { FloatArray } from './dtype.js';

/** Arguments of one gemm call (row-major, offsets select a matrix of a batch). */
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

/** C (+)= op(A)·op(B); see the file comment for the blocking scheme. */
export function gemm(args: GemmArgs): void {
  const { transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate } = args;
  if (!accumulate) c.fill(0, cOffset, cOffset + M * N);
  if (K === 0) return;
  const ars = transA ? 1 : K, aks = transA ? M : 1;
  const bks = transB ? 1 : N, bjs = transB ? K : 1;
  blocked(M, N, K, a, aOffset, ars, aks, b, bOffset, bks, bjs, c, cOffset);
}

function blocked(M: number, N: number, K: number, a: FloatArray, ao: number, ars: number, aks: number, b: FloatArray, bo: number, bks: number, bjs: number, c: FloatArray, co: number): void {
  const M4 = M - (M % 4), N4 = N - (N % 4);
  for (let j = 0; j < N4; j += 4) {
    const bj = bo + j * bjs;
    for (let i = 0; i < M4; i += 4) {
      const ai = ao + i * ars;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, pa = ai, pb = bj; k < K; k++, pa += aks, pb += bks) {
        const a0 = a[pa]!, a1 = a[pa + ars]!, a2 = a[pa + 2 * ars]!, a3 = a[pa + 3 * ars]!;
        const b0 = b[pb]!, b1 = b[pb + bjs]!, b2 = b[pb + 2 * bjs]!, b3 = b[pb + 3 * bjs]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let r = co + i * N + j;
      c[r] += c00; c[r + 1] += c01; c[r + 2] += c02; c[r + 3] += c03;
      r += N;
      c[r] += c10; c[r + 1] += c11; c[r + 2] += c12; c[r + 3] += c13;
      r += N;
      c[r] += c20; c[r + 1] += c21; c[r + 2] += c22; c[r + 3] += c23;
      r += N;
      c[r] += c30; c[r + 1] += c31; c[r + 2] += c32; c[r + 3] += c33;
    }
  }
  // Right edge (columns N4..N) for every row, and bottom edge (rows M4..M) for the blocked columns.
  for (let i = 0; i < M; i++) {
    const jStart = i < M4 ? N4 : 0;
    for (let j = jStart; j < N; j++) {
      let s = 0;
      for (let k = 0, pa = ao + i * ars, pb = bo + j * bjs; k < K; k++, pa += aks, pb += bks) s += a[pa]! * b[pb]!;
      c[co + i * N + j] += s;
    }
  }
}

/**
 * For each matrix of a broadcast batch (shape `batch`), which matrix of a
 * (batch dims `aBatch`) and of b (`bBatch`) it multiplies: torch.matmul's
 * batch broadcasting as two index arrays.
 */
export function broadcastBatchIndices(batch: readonly number[], aBatch: readonly number[], bBatch: readonly number[]): { aIndex: Int32Array; bIndex: Int32Array } {
  const count = batch.reduce((p, d) => p * d, 1);
  const aIndex = new Int32Array(count), bIndex = new Int32Array(count);
  const strides = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const aStr = strides(aBatch), bStr = strides(bBatch), oStr = strides(batch);
  for (let i = 0; i < count; i++) {
    let ai = 0, bi = 0;
    for (let d = 0; d < batch.length; d++) {
      const idx = Math.floor(i / oStr[d]!) % batch[d]!;
      const da = d - (batch.length - aBatch.length), db = d - (batch.length - bBatch.length);
      if (da >= 0 && aBatch[da] !== 1) ai += idx * aStr[da]!;
      if (db >= 0 && bBatch[db] !== 1) bi += idx * bStr[db]!;
    }
    aIndex[i] = ai;
    bIndex[i] = bi;
  }
  return { aIndex, bIndex };
}

/**
 * One gemm per batch entry i < count on the given kernel: C (+)= op(A)·op(B)
 * with the matrices taken at aIndex[i], bIndex[i], cIndex[i] (matrix
 * indices, not offsets; null means i itself). Repeated C indices accumulate
 * (the gradient of a broadcast operand).
 */
export function batchedGemm(
  gemmKernel: (args: GemmArgs) => void,
  count: number,
  args: { transA: boolean; transB: boolean; M: number; N: number; K: number; a: FloatArray; aIndex: ArrayLike<number> | null; b: FloatArray; bIndex: ArrayLike<number> | null; c: FloatArray; cIndex: ArrayLike<number> | null; accumulate: boolean },
): void {
  const { transA, transB, M, N, K, a, b, c, aIndex, bIndex, cIndex, accumulate } = args;
  for (let i = 0; i < count; i++) {
    const ai = aIndex ? aIndex[i]! : i, bi = bIndex ? bIndex[i]! : i, ci = cIndex ? cIndex[i]! : i;
    gemmKernel({ transA, transB, M, N, K, a, aOffset: ai * M * K, b, bOffset: bi * K * N, c, cOffset: ci * M * N, accumulate });
  }
}

/** Writes `row` into each of the `rows` rows of `out` (a bias broadcast over a batch). */
export function fillRows(out: FloatArray, row: FloatArray, rows: number): void {
  for (let r = 0; r < rows; r++) out.set(row, r * row.length);
}

/** Arguments of linearForward: out[rows, outF] = x[rows, inF]·wᵀ + bias (w is [outF, inF], PyTorch's layout). */
export interface LinearForwardArgs {
  rows: number;
  inF: number;
  outF: number;
  x: FloatArray;
  w: FloatArray;
  bias: FloatArray | null;
  out: FloatArray;
}

/** Arguments of linearBackward: gx = g·w, gw = gᵀ·x, gb = Σ_rows g, each only when its output is given. */
export interface LinearBackwardArgs {
  rows: number;
  inF: number;
  outF: number;
  g: FloatArray;
  x: FloatArray;
  w: FloatArray;
  gx: FloatArray | null;
  gw: FloatArray | null;
  gb: FloatArray | null;
}

/** linear's forward on the given gemm: the bias broadcast into the rows, then x·wᵀ accumulated onto it. */
export function linearForwardWith(gemmKernel: (args: GemmArgs) => void, { rows, inF, outF, x, w, bias, out }: LinearForwardArgs): void {
  if (bias) fillRows(out, bias, rows);
  gemmKernel({ transA: false, transB: true, M: rows, N: outF, K: inF, a: x, aOffset: 0, b: w, bOffset: 0, c: out, cOffset: 0, accumulate: bias !== null });
}

/** linear's backward on the given gemm; the bias gradient as the column sums of g, accumulated in double. */
export function linearBackwardWith(gemmKernel: (args: GemmArgs) => void, { rows, inF, outF, g, x, w, gx, gw, gb }: LinearBackwardArgs): void {
  if (gx) gemmKernel({ transA: false, transB: false, M: rows, N: inF, K: outF, a: g, aOffset: 0, b: w, bOffset: 0, c: gx, cOffset: 0, accumulate: false });
  if (gw) gemmKernel({ transA: true, transB: false, M: outF, N: inF, K: rows, a: g, aOffset: 0, b: x, bOffset: 0, c: gw, cOffset: 0, accumulate: false });
  if (gb) columnSums(g, rows, outF, gb);
}

/** out[j] = Σ_r a[r·cols + j], accumulated in double. */
export function columnSums(a: FloatArray, rows: number, cols: number, out: FloatArray): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) acc[j] += a[o + j]!;
  }
  out.set(acc);
}
