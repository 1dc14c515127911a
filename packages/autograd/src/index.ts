/**
 * @tapegrad/autograd — tensors on typed arrays with tape-based reverse-mode
 * automatic differentiation.
 */
import './methods.js';
import './graph-backward.js';
import { selectDefaultBackend } from './backend/select.js';

export { Tensor } from './tensor.js';
export type { GradHook, RemovableHandle, NestedArray } from './tensor.js';
export type { DType, FloatDType, FloatArray, DataArray } from './backend/index.js';
export { TapegradError, ShapeError, DTypeError, IndexError, ValueError, GraphError, NonFiniteError, AllocationError, HigherOrderGradientError } from './errors.js';
export { OptionError, checkOptions, requireNumber, optionalNumber, optionalBoolean, optionalChoice, requireFunction, describeValue, isTapegradError } from './validate.js';
export type { NumberRule } from './validate.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, detectAnomaly, isAnomalyEnabled, backward } from './tape.js';
export type { BackwardOptions, BackwardFn, TapeRecord, InputGradient } from './tape.js';
export type { TapeSlot } from './slot.js';
export { SliceGradient } from './tape.js';
export { defineOp, defineMultiOp } from './op.js';
export { customOp, customMultiOp, clipGradient } from './custom.js';
export type { OpSpec, MultiOpSpec, GradList } from './op.js';
export { gradients, grad, valueAndGrad } from './functional.js';
export type { GradOptions, GradientsOptions, GradResult } from './functional.js';
export { vjp, jvp, hvp, jacobian, hessian } from './functional-higher.js';
export type { FunctionalOptions, FunctionalInputs, FunctionalResult } from './functional-higher.js';
export { gradcheck, gradgradcheck, GradcheckError } from './testing/gradcheck.js';
export type { GradcheckOptions, GradcheckResult, GradcheckFn } from './testing/gradcheck.js';
export { Generator, defaultGenerator, manualSeed } from './random.js';
export type { GeneratorState } from './random.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, uniform, normal, randint, randLike, randnLike, randperm } from './creation.js';
export type { TensorOptions, RandomOptions, TensorSource } from './creation.js';
export { neg, exp, log, log1p, expm1, sqrt, reciprocal, tanh, sigmoid, relu, abs, sign, sin, cos, square, clone, softplus, gelu, leakyRelu, elu, powScalar, clamp } from './ops/unary.js';
export { add, sub, mul, div, pow, powTensor, maximum, minimum, where, gt, lt, ge, le, eq, ne } from './ops/elementwise.js';
export type { TensorLike } from './ops/util.js';
export { sum, mean, max, min, argmax, argmin, logsumexp, variance, std, norm } from './ops/reduce.js';
export type { ReduceOptions, VarOptions, NormOrder, DimArg, DimOptions } from './ops/reduce.js';
export { reshape, view, flatten, unsqueeze, squeeze, permute, transpose, slice, narrow, select, expand, cat, stack, split, chunk, unbind, to } from './ops/shape.js';
export { matmul, linear } from './ops/matmul.js';
export { indexSelect, embedding, gather } from './ops/indexing.js';
export type { IndexLike } from './ops/indexing.js';
export { softmax, logSoftmax } from './ops/activation.js';
export { mseLoss, l1Loss, huberLoss, smoothL1Loss, bceWithLogits, nllLoss, crossEntropy } from './ops/loss.js';
export type { Reduction, ClassLossOptions } from './ops/loss.js';
export { kernels, defaultKernels, setKernel, sizeOf, formatShape, allocate, allocateLike, MAX_ELEMENTS } from './backend/index.js';
export { setBackend, getBackend, backendInfo, backendReady, setNumThreads, getNumThreads } from './backend/select.js';
export type { BackendName, ThreadsInfo } from './backend/select.js';
export type { Kernels, UnaryOp, UnaryKernel, BinaryOp, AdamUpdateArgs, GemmArgs, LinearForwardArgs, LinearBackwardArgs, GruBackwardArgs, GruForwardArgs, LstmBackwardArgs, LstmForwardArgs, LstmLayerBackwardArgs, LstmLayerForwardArgs, RnnBackwardArgs, RnnForwardArgs } from './backend/index.js';

export { rnnCell, lstmCell, gruCell } from './ops/recurrent.js';
export { lstmSequence } from './ops/lstm-sequence.js';
export { lstmLayer } from './ops/lstm-layer.js';
export { rnnSequence, gruSequence } from './ops/rnn-sequence.js';

// The fastest available backend (or TAPEGRAD_BACKEND), chosen once at load.
selectDefaultBackend();
