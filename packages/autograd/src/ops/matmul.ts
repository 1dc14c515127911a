/**
 * Matrix products. `matmul` follows torch.matmul: 1-D operands are promoted
 * (a vector on the left becomes a row, on the right a column, and the
 * promoted dim is removed again), leading batch dims broadcast. `linear` is
 * the fused x·Wᵀ + b with W in PyTorch's [out, in] layout.
 *   d(A·B): dA = G·Bᵀ, dB = Aᵀ·G (summed over broadcast batch dims)
 */
import type { FloatArray } from '../backend/index.js';
import { allocate, formatShape, kernels, sizeOf } from '../backend/index.js';
import { batchedGemm, broadcastBatchIndices } from '../backend/matmul.js';
import { ShapeError } from '../errors.js';
import type { GradList } from '../op.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDType, broadcastOrThrow, floatData, wrap } from './util.js';
import { sum, sumTo } from './reduce.js';
import { reshape, transpose } from './shape.js';

interface Plan {
  M: number;
  K: number;
  N: number;
  batch: number[];
  /** Per output batch: index of the a matrix and of the b matrix. */
  aIndex: Int32Array;
  bIndex: Int32Array;
  outShape: number[];
  aShape: readonly number[];
  bShape: readonly number[];
}

function plan(a: Tensor, b: Tensor): Plan {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError('matmul', `both operands need at least 1 dim, got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  const a2 = a.ndim === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.ndim === 1 ? [b.shape[0]!, 1] : b.shape;
  const M = a2[a2.length - 2]!, K = a2[a2.length - 1]!;
  const K2 = b2[b2.length - 2]!, N = b2[b2.length - 1]!;
  if (K !== K2) throw new ShapeError('matmul', `inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  const aBatch = a2.slice(0, -2), bBatch = b2.slice(0, -2);
  const batch = broadcastOrThrow('matmul', aBatch, bBatch);
  const { aIndex, bIndex } = broadcastBatchIndices(batch, aBatch, bBatch);
  const outShape = [...batch];
  if (a.ndim > 1) outShape.push(M);
  if (b.ndim > 1) outShape.push(N);
  return { M, K, N, batch, aIndex, bIndex, outShape, aShape: a.shape, bShape: b.shape };
}

const matmulOp = defineOp({
  name: 'matmul',
  forward(a: Tensor, b: Tensor) {
    const dtype = assertFloat('matmul', 'a', a);
    assertFloat('matmul', 'b', b);
    assertSameDType('matmul', a, b);
    const p = plan(a, b);
    const { M, K, N } = p;
    const out = allocate(dtype, sizeOf(p.outShape));
    batchedGemm(kernels.gemm, p.aIndex.length, { transA: false, transB: false, M, N, K, a: floatData(a), aIndex: p.aIndex, b: floatData(b), bIndex: p.bIndex, c: out, cIndex: null, accumulate: false });
    return { out: wrap(out, p.outShape), saved: { a, b, p } };
  },
  backward({ a, b, p }, g) {
    const { M, K, N } = p;
    const gd = floatData(g), ad = floatData(a), bd = floatData(b);
    let ga: FloatArray | null = null, gb: FloatArray | null = null;
    if (a.requiresGrad) {
      ga = allocate(a.dtype as 'float64', a.size);
      // dA = G·Bᵀ: [M×N]·[N×K], summed into the a matrix each output matrix came from.
      batchedGemm(kernels.gemm, p.aIndex.length, { transA: false, transB: true, M, N: K, K: N, a: gd, aIndex: null, b: bd, bIndex: p.bIndex, c: ga, cIndex: p.aIndex, accumulate: true });
    }
    if (b.requiresGrad) {
      gb = allocate(b.dtype as 'float64', b.size);
      // dB = Aᵀ·G: [K×M]·[M×N], summed into the b matrix each output matrix came from.
      batchedGemm(kernels.gemm, p.bIndex.length, { transA: true, transB: false, M: K, N, K: M, a: ad, aIndex: p.aIndex, b: gd, bIndex: null, c: gb, cIndex: p.bIndex, accumulate: true });
    }
    return [ga && wrap(ga, p.aShape), gb && wrap(gb, p.bShape)];
  },
  // The same products in recorded ops, with 1-D operands promoted and broadcast batch dims summed back.
  backwardGraph({ a, b, p }, g): GradList {
    const { M, K, N, batch } = p;
    const a2 = a.ndim === 1 ? reshape(a, [1, K]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [K, 1]) : b;
    const g2 = reshape(g, [...batch, M, N]);
    const ga = a.requiresGrad ? reshape(sumTo(matmulOp(g2, transpose(b2, -2, -1)), a2.shape), a.shape) : null;
    const gb = b.requiresGrad ? reshape(sumTo(matmulOp(transpose(a2, -2, -1), g2), b2.shape), b.shape) : null;
    return [ga, gb];
  },
});

/** Matrix product with torch.matmul semantics (dot, matrix-vector, batched, broadcast batch). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertFloat('matmul', 'a', a);
  assertFloat('matmul', 'b', b);
  return matmulOp(a, b);
}

const linearOp = defineOp({
  name: 'linear',
  forward(x: Tensor, weight: Tensor, bias: Tensor | null) {
    const dtype = assertFloat('linear', 'input', x);
    assertFloat('linear', 'weight', weight);
    assertSameDType('linear', x, weight, ['input', 'weight']);
    if (weight.ndim !== 2) throw new ShapeError('linear', `weight must be 2-D [out, in], got ${formatShape(weight.shape)}`);
    const [outF, inF] = weight.shape as [number, number];
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) throw new ShapeError('linear', `input's last dim must be ${inF} to match weight ${formatShape(weight.shape)}, got input ${formatShape(x.shape)}`);
    if (bias) {
      assertSameDType('linear', x, bias, ['input', 'bias']);
      if (bias.ndim !== 1 || bias.shape[0] !== outF) throw new ShapeError('linear', `bias must have shape [${outF}], got ${formatShape(bias.shape)}`);
    }
    const rows = x.size / inF;
    const outShape = [...x.shape.slice(0, -1), outF];
    const out = allocate(dtype, rows * outF);
    kernels.linearForward({ rows, inF, outF, x: floatData(x), w: floatData(weight), bias: bias ? floatData(bias) : null, out });
    return { out: wrap(out, outShape), saved: { x, weight, bias, rows, inF, outF } };
  },
  // dx = G·W, dW = Gᵀ·x, db = Σ_rows G
  backward({ x, weight, bias, rows, inF, outF }, g) {
    const gx = x.requiresGrad ? allocate(x.dtype as 'float64', x.size) : null;
    const gw = weight.requiresGrad ? allocate(weight.dtype as 'float64', weight.size) : null;
    const gbias = bias && bias.requiresGrad ? allocate(bias.dtype as 'float64', outF) : null;
    // One call: on the wasm backend g crosses into WebAssembly memory once for all three.
    kernels.linearBackward({ rows, inF, outF, g: floatData(g), x: floatData(x), w: floatData(weight), gx, gw, gb: gbias });
    return [gx && wrap(gx, x.shape), gw && wrap(gw, weight.shape), gbias && wrap(gbias, [outF])];
  },
  backwardGraph({ x, weight, bias, rows, inF, outF }, g): GradList {
    const g2 = reshape(g, [rows, outF]);
    return [
      x.requiresGrad ? reshape(matmulOp(g2, weight), x.shape) : null,
      weight.requiresGrad ? matmulOp(transpose(g2, 0, 1), reshape(x, [rows, inF])) : null,
      bias && bias.requiresGrad ? sum(g2, 0) : null,
    ];
  },
});

/** y = x·Wᵀ + b (torch.nn.functional.linear); W is [out, in], x is [..., in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (bias !== undefined && bias !== null) assertFloat('linear', 'bias', bias);
  return linearOp(x, weight, bias ?? null);
}
