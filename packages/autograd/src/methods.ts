/**
 * Installs the PyTorch-style methods on Tensor (x.add(y), x.sum({dim: 1}),
 * loss.backward()). Each method forwards to the one function that defines
 * the op, so methods and functions cannot disagree.
 */
import type { DType } from './backend/index.js';
import * as act from './ops/activation.js';
import * as ew from './ops/elementwise.js';
import * as idx from './ops/indexing.js';
import * as mm from './ops/matmul.js';
import * as red from './ops/reduce.js';
import * as shp from './ops/shape.js';
import * as un from './ops/unary.js';
import type { TensorLike } from './ops/util.js';
import type { BackwardOptions } from './tape.js';
import { backward } from './tape.js';
import { Tensor } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    /** Accumulates gradients into the leaves' `.grad` (see tape.backward); `x.backward({ retainGraph: true })` works too. */
    backward(gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void;
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    /** xᵖ: a number exponent uses the scalar kernel, a tensor exponent broadcasts. */
    pow(exponent: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    reciprocal(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    square(): Tensor;
    clone(): Tensor;
    softplus(options?: { beta?: number; threshold?: number }): Tensor;
    gelu(options?: { approximate?: 'none' | 'tanh' }): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    matmul(other: Tensor): Tensor;
    /** `x.sum()`, `x.sum(1)`, `x.sum([0, 1], true)` or `x.sum({ dim, keepdim })`, as in PyTorch. */
    sum(dim?: red.DimArg | red.ReduceOptions, keepdim?: boolean): Tensor;
    mean(dim?: red.DimArg | red.ReduceOptions, keepdim?: boolean): Tensor;
    max(dim?: number | red.DimOptions, keepdim?: boolean): Tensor;
    min(dim?: number | red.DimOptions, keepdim?: boolean): Tensor;
    argmax(dim?: number | red.DimOptions, keepdim?: boolean): Tensor;
    argmin(dim?: number | red.DimOptions, keepdim?: boolean): Tensor;
    logsumexp(dim?: red.DimArg | red.ReduceOptions, keepdim?: boolean): Tensor;
    var(dim?: red.DimArg | red.VarOptions, options?: Omit<red.VarOptions, 'dim'>): Tensor;
    std(dim?: red.DimArg | red.VarOptions, options?: Omit<red.VarOptions, 'dim'>): Tensor;
    norm(p?: red.NormOrder, dim?: red.DimArg | red.ReduceOptions, keepdim?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    split(size: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    indexSelect(dim: number, index: idx.IndexLike): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
    /** A copy in another dtype (this tensor itself when the dtype already matches). */
    to(dtype: DType): Tensor;
  }
}

const P = Tensor.prototype;
P.backward = function (gradient?: Tensor | BackwardOptions, options?: BackwardOptions) {
  backward(this, gradient, options);
};
P.add = function (o) { return ew.add(this, o); };
P.sub = function (o) { return ew.sub(this, o); };
P.mul = function (o) { return ew.mul(this, o); };
P.div = function (o) { return ew.div(this, o); };
P.pow = function (e) { return ew.pow(this, e); };
P.maximum = function (o) { return ew.maximum(this, o); };
P.minimum = function (o) { return ew.minimum(this, o); };
P.gt = function (o) { return ew.gt(this, o); };
P.lt = function (o) { return ew.lt(this, o); };
P.ge = function (o) { return ew.ge(this, o); };
P.le = function (o) { return ew.le(this, o); };
P.eq = function (o) { return ew.eq(this, o); };
P.ne = function (o) { return ew.ne(this, o); };
P.neg = function () { return un.neg(this); };
P.exp = function () { return un.exp(this); };
P.log = function () { return un.log(this); };
P.log1p = function () { return un.log1p(this); };
P.sqrt = function () { return un.sqrt(this); };
P.reciprocal = function () { return un.reciprocal(this); };
P.tanh = function () { return un.tanh(this); };
P.sigmoid = function () { return un.sigmoid(this); };
P.relu = function () { return un.relu(this); };
P.abs = function () { return un.abs(this); };
P.sign = function () { return un.sign(this); };
P.sin = function () { return un.sin(this); };
P.cos = function () { return un.cos(this); };
P.square = function () { return un.square(this); };
P.clone = function () { return un.clone(this); };
P.softplus = function (o) { return un.softplus(this, o); };
P.gelu = function (o) { return un.gelu(this, o); };
P.leakyRelu = function (s) { return un.leakyRelu(this, s); };
P.elu = function (a) { return un.elu(this, a); };
P.clamp = function (lo, hi) { return un.clamp(this, lo, hi); };
P.matmul = function (o) { return mm.matmul(this, o); };
P.sum = function (d, k) { return red.sum(this, d, k); };
P.mean = function (d, k) { return red.mean(this, d, k); };
P.max = function (d, k) { return red.max(this, d, k); };
P.min = function (d, k) { return red.min(this, d, k); };
P.argmax = function (d, k) { return red.argmax(this, d, k); };
P.argmin = function (d, k) { return red.argmin(this, d, k); };
P.logsumexp = function (d, k) { return red.logsumexp(this, d, k); };
P.var = function (d, o) { return red.variance(this, d, o); };
P.std = function (d, o) { return red.std(this, d, o); };
P.norm = function (p, d, k) { return red.norm(this, p, d, k); };
P.reshape = function (s) { return shp.reshape(this, s); };
P.view = function (s) { return shp.reshape(this, s); };
P.flatten = function (s, e) { return shp.flatten(this, s, e); };
P.transpose = function (a, b) { return shp.transpose(this, a, b); };
P.permute = function (d) { return shp.permute(this, d); };
P.slice = function (d, s, e, st) { return shp.slice(this, d, s, e, st); };
P.narrow = function (d, s, l) { return shp.narrow(this, d, s, l); };
P.select = function (d, i) { return shp.select(this, d, i); };
P.squeeze = function (d) { return shp.squeeze(this, d); };
P.unsqueeze = function (d) { return shp.unsqueeze(this, d); };
P.expand = function (s) { return shp.expand(this, s); };
P.split = function (s, d) { return shp.split(this, s, d); };
P.chunk = function (c, d) { return shp.chunk(this, c, d); };
P.unbind = function (d) { return shp.unbind(this, d); };
P.indexSelect = function (d, i) { return idx.indexSelect(this, d, i); };
P.gather = function (d, i) { return idx.gather(this, d, i); };
P.softmax = function (d) { return act.softmax(this, d); };
P.logSoftmax = function (d) { return act.logSoftmax(this, d); };
P.to = function (dtype) { return shp.to(this, dtype); };
