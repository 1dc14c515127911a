/**
 * The backend: every numeric kernel the ops call, behind one replaceable
 * table. A faster implementation (say a WebAssembly SIMD matmul) replaces one
 * entry with `setKernel('gemm', impl)` without touching any op.
 */
import { adamUpdate } from './adam.js';
import { binary, broadcastTo, sumToShape } from './binary.js';
import type { LinearBackwardArgs, LinearForwardArgs } from './matmul.js';
import { gemm, linearBackwardWith, linearForwardWith } from './matmul.js';
import { zeroKept } from './dtype.js';
import { addInPlace, extremumAlong, extremumAll, scaleInPlace, sumAxes, sumSquares } from './reduce.js';
import { gatherAlong, permute, scatterAddAlong, sliceAssign, sliceCopy } from './strided.js';
import { UNARY } from './unary.js';
import type { GruBackwardArgs, GruForwardArgs, LstmBackwardArgs, LstmForwardArgs, LstmLayerBackwardArgs, LstmLayerForwardArgs, RnnBackwardArgs, RnnForwardArgs } from './recurrent.js';
import { gruBackwardWith, gruForwardWith, lstmBackwardWith, lstmForwardWith, lstmLayerBackwardWith, lstmLayerForwardWith, rnnBackwardWith, rnnForwardWith } from './recurrent.js';

export type { DType, FloatDType, FloatArray, DataArray } from './dtype.js';
export { allocate, allocateLike, bytesPerElement, dtypeOf, isFloat, MAX_ELEMENTS } from './dtype.js';
export { sizeOf, stridesOf, broadcastShapes, sameShape, formatShape } from './shape.js';
export type { BinaryOp } from './binary.js';
export type { UnaryOp, UnaryKernel } from './unary.js';
export type { GemmArgs, LinearBackwardArgs, LinearForwardArgs } from './matmul.js';
export type { AdamUpdateArgs } from './adam.js';
export type { GruBackwardArgs, GruForwardArgs, LstmBackwardArgs, LstmForwardArgs, LstmLayerBackwardArgs, LstmLayerForwardArgs, RnnBackwardArgs, RnnForwardArgs } from './recurrent.js';
export { erf, normalCdf, normalPdf } from './math.js';

const defaults = {
  binary,
  broadcastTo,
  sumToShape,
  sumAxes,
  gemm,
  extremumAlong,
  extremumAll,
  sumSquares,
  scaleInPlace,
  addInPlace,
  zeroKept,
  /** Adam's (and AdamW's) per-element update of one parameter and its state (@tapegrad/optim computes the scalars). */
  adamUpdate,
  permute,
  sliceCopy,
  sliceAssign,
  gatherAlong,
  scatterAddAlong,
  unary: UNARY,
  /** linear's forward (x·Wᵀ + b) and backward (dx, dW, db) as one call each, on the active gemm. */
  linearForward: (args: LinearForwardArgs) => linearForwardWith(kernels.gemm, args),
  linearBackward: (args: LinearBackwardArgs) => linearBackwardWith(kernels.gemm, args),
  /** The sequence-fused LSTM's forward; its recurrent product goes through the active gemm. */
  lstmForward: (args: LstmForwardArgs) => lstmForwardWith(kernels.gemm, args),
  /** Its backward, likewise. */
  lstmBackward: (args: LstmBackwardArgs) => lstmBackwardWith(kernels.gemm, args),
  /** A whole LSTM layer from its input (projection + sequence) and its backward, composed from the active linear and LSTM kernels. */
  lstmLayerForward: (args: LstmLayerForwardArgs) => lstmLayerForwardWith(kernels, args),
  lstmLayerBackward: (args: LstmLayerBackwardArgs) => lstmLayerBackwardWith(kernels, args),
  /** The sequence-fused Elman RNN's forward and backward. */
  rnnForward: (args: RnnForwardArgs) => rnnForwardWith(kernels.gemm, args),
  rnnBackward: (args: RnnBackwardArgs) => rnnBackwardWith(kernels.gemm, args),
  /** The sequence-fused GRU's forward and backward. */
  gruForward: (args: GruForwardArgs) => gruForwardWith(kernels.gemm, args),
  gruBackward: (args: GruBackwardArgs) => gruBackwardWith(kernels.gemm, args),
};

/** The table of kernels the ops dispatch to. */
export type Kernels = typeof defaults;

/** The JS kernels: the fallback of every backend, and the twins the WebAssembly kernels are tested against. */
export const defaultKernels: Readonly<Kernels> = Object.freeze({ ...defaults });

/** The active kernels. Ops read through this object on every call; setBackend swaps entries. */
export const kernels: Kernels = { ...defaults };

/** Replaces one kernel (for instance a SIMD gemm); returns a function that restores the previous one. */
export function setKernel<K extends keyof Kernels>(name: K, impl: Kernels[K]): () => void {
  const previous = kernels[name];
  kernels[name] = impl;
  return () => {
    kernels[name] = previous;
  };
}
