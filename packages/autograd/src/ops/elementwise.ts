/**
 * Broadcasting binary ops (NumPy rules) and `where`. Forward uses the
 * broadcast kernel; backward forms the gradient at the output's shape and
 * sums it back to each input's shape with `sumToShape` — the one place where
 * broadcasting is undone.
 */
import type { BinaryOp, FloatArray } from '../backend/index.js';
import { allocate, kernels, sameShape } from '../backend/index.js';
import { divGrads, extremumGrads, negated, powGrads, times, whereRoute, whereSelect } from '../backend/pointwise-grad.js';
import { defineOp } from '../op.js';
import { slotOf } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { log, neg, powScalar } from './unary.js';
import type { TensorLike } from './util.js';
import { assertFloat, assertSameDType, assertTensor, broadcastOrThrow, floatData, tensorOperands, wrap } from './util.js';

/**
 * What a binary op keeps for backward. An operand or the output is kept as a
 * tensor only when the op's gradient reads its values (mul reads both
 * operands, div the divisor and the output, add and sub nothing); otherwise
 * only its tape slot (shape, whether it requires grad) or nothing — so the
 * tape does not keep alive what no backward reads.
 */
interface Saved {
  a: Tensor;
  b: Tensor;
  out: Tensor;
  /** The output's shape. */
  shape: readonly number[];
}

/** Which of a, b and the output a binary op's gradient reads. */
interface Reads {
  a?: boolean;
  b?: boolean;
  out?: boolean;
}

/** Runs the broadcast kernel after validating dtypes and shapes. */
function forwardBinary(name: string, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const dtype = assertFloat(name, 'a', a);
  assertFloat(name, 'b', b);
  assertSameDType(name, a, b);
  const shape = broadcastOrThrow(name, a.shape, b.shape);
  const out = allocate(dtype, shape.reduce((p, d) => p * d, 1));
  kernels.binary(op, floatData(a), a.shape, floatData(b), b.shape, out, shape);
  return wrap(out, shape);
}

/** The gradient `g` (at the output's shape) summed back to `t`'s shape. */
function reduceTo(g: FloatArray, outShape: readonly number[], t: { readonly shape: readonly number[] }): Tensor {
  return wrap(kernels.sumToShape(g, outShape, t.shape), t.shape);
}

/** Operand data broadcast to the output shape (no copy when shapes agree). */
function expanded(t: Tensor, shape: readonly number[]): FloatArray {
  return sameShape(t.shape, shape) ? floatData(t) : kernels.broadcastTo(floatData(t), t.shape, shape);
}

/** A binary op's gradient in recorded ops, at the output's shape (summed back to each input by the caller). */
type GraphGrad = (g: Tensor, s: Saved) => [Tensor | null, Tensor | null];

function binaryOp(name: string, op: BinaryOp, reads: Reads, grad: (g: FloatArray, s: Saved, shape: readonly number[]) => [FloatArray | null, FloatArray | null], graph: GraphGrad) {
  return defineOp({
    name,
    forward(a: Tensor, b: Tensor) {
      const out = forwardBinary(name, op, a, b);
      // An unread operand is kept as its slot (shape and requiresGrad, read live), an unread output not at all;
      // a gradient formula that reached for their values would fail loudly (no .data), never read stale numbers.
      const saved: Saved = {
        a: reads.a ? a : (slotOf(a) as unknown as Tensor),
        b: reads.b ? b : (slotOf(b) as unknown as Tensor),
        out: reads.out ? out : (null as unknown as Tensor),
        shape: out.shape,
      };
      return { out, saved };
    },
    backward(s: Saved, g: Tensor) {
      const shape = s.shape;
      const [ga, gb] = grad(floatData(g), s, shape);
      return [ga && s.a.requiresGrad ? reduceTo(ga, shape, s.a) : null, gb && s.b.requiresGrad ? reduceTo(gb, shape, s.b) : null];
    },
    backwardGraph(s: Saved, g: Tensor) {
      const [ga, gb] = graph(g, s);
      return [ga && s.a.requiresGrad ? sumTo(ga, s.a.shape) : null, gb && s.b.requiresGrad ? sumTo(gb, s.b.shape) : null];
    },
  });
}

// d(a+b) = (g, g): the upstream gradient is passed through without a copy.
const addOp = binaryOp('add', 'add', {}, (g) => [g, g], (g) => [g, g]);

// d(a−b) = (g, −g)
const subOp = binaryOp('sub', 'sub', {}, (g, s) => [g, s.b.requiresGrad ? negated(g) : null], (g, s) => [g, s.b.requiresGrad ? neg(g) : null]);

// d(a·b) = (g·b, g·a)
const mulOp = binaryOp('mul', 'mul', { a: true, b: true }, (g, s, shape) => [
  s.a.requiresGrad ? times(g, expanded(s.b, shape)) : null,
  s.b.requiresGrad ? times(g, expanded(s.a, shape)) : null,
], (g, s) => [s.a.requiresGrad ? mul(g, s.b) : null, s.b.requiresGrad ? mul(g, s.a) : null]);

// d(a/b) = (g/b, −g·a/b² = −g·out/b)
const divOp = binaryOp('div', 'div', { b: true, out: true }, (g, s, shape) => divGrads(g, expanded(s.b, shape), floatData(s.out), s.a.requiresGrad, s.b.requiresGrad), (g, s) => {
  const q = div(g, s.b);
  return [q, s.b.requiresGrad ? neg(mul(q, s.out)) : null];
});

// d(aᵇ) = (g·b·a^{b−1}, g·aᵇ·ln a); the exponent's gradient is 0 where a = 0 and b ≥ 0 (PyTorch).
const powOp = binaryOp('pow', 'pow', { a: true, b: true, out: true }, (g, s, shape) => powGrads(g, expanded(s.a, shape), expanded(s.b, shape), floatData(s.out), s.a.requiresGrad, s.b.requiresGrad), (g, s) => {
  // Same zero conventions; the masked-off branches are computed on safe values so their derivatives stay finite.
  // 0·a^{−1} is only undefined at a = b = 0; elsewhere b·a^{b−1} stays unmasked so its b-derivative survives at b = 0.
  const bothZero = mul(eq(s.b, 0), eq(s.a, 0));
  const ga = s.a.requiresGrad ? where(bothZero, 0, mul(g, mul(s.b, powTensor(where(bothZero, 1, s.a), sub(s.b, 1))))) : null;
  let gb: Tensor | null = null;
  if (s.b.requiresGrad) {
    const aZero = mul(eq(s.a, 0), ge(s.b, 0));
    gb = where(aZero, 0, mul(g, mul(s.out, log(where(aZero, 1, s.a)))));
  }
  return [ga, gb];
});

/** Gradient routing for maximum/minimum: to the winner, split in half on ties (PyTorch 1.13). */
function extremumGrad(wantMax: boolean) {
  return (g: FloatArray, s: Saved, shape: readonly number[]): [FloatArray, FloatArray] => extremumGrads(g, expanded(s.a, shape), expanded(s.b, shape), wantMax);
}
/** The same routing as constant masks: 1 where an operand wins, ½ on ties. */
function extremumGraph(wantMax: boolean): GraphGrad {
  return (g, s) => {
    const wins = wantMax ? gt(s.a, s.b) : lt(s.a, s.b);
    const ties = mul(eq(s.a, s.b), 0.5);
    const ma = add(wins, ties);
    const mb = sub(sub(1, wins), ties);
    return [mul(g, ma), mul(g, mb)];
  };
}
const maximumOp = binaryOp('maximum', 'maximum', { a: true, b: true }, extremumGrad(true), extremumGraph(true));
const minimumOp = binaryOp('minimum', 'minimum', { a: true, b: true }, extremumGrad(false), extremumGraph(false));

/** a + b with broadcasting. */
export const add = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('add', addOp, a, b);
/** a − b with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('sub', subOp, a, b);
/** a · b elementwise with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('mul', mulOp, a, b);
/** a / b elementwise with broadcasting. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('div', divOp, a, b);
/** aᵇ elementwise with broadcasting (tensor exponent). For a number exponent see powScalar. */
export const powTensor = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('pow', powOp, a, b);
/** xᵖ: a number exponent uses the scalar kernel (d/dx = p·x^{p−1}), a tensor exponent broadcasts. */
export function pow(x: Tensor, exponent: TensorLike): Tensor {
  return typeof exponent === 'number' ? powScalar(x, exponent) : powTensor(x, exponent);
}
/** Elementwise max of two tensors; ties split the gradient in half. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('maximum', maximumOp, a, b);
/** Elementwise min of two tensors; ties split the gradient in half. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryArgs('minimum', minimumOp, a, b);

function binaryArgs(name: string, op: (a: Tensor, b: Tensor) => Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = tensorOperands(name, a, b);
  return op(ta, tb);
}

/** Comparisons return 0/1 in the operands' dtype and carry no gradient. */
function compareOp(name: BinaryOp) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [ta, tb] = tensorOperands(name, a, b);
    return forwardBinary(name, name, ta, tb);
  };
}
/** a > b as 0/1 (no gradient). */
export const gt = compareOp('gt');
/** a < b as 0/1 (no gradient). */
export const lt = compareOp('lt');
/** a ≥ b as 0/1 (no gradient). */
export const ge = compareOp('ge');
/** a ≤ b as 0/1 (no gradient). */
export const le = compareOp('le');
/** a = b as 0/1 (no gradient). */
export const eq = compareOp('eq');
/** a ≠ b as 0/1 (no gradient). */
export const ne = compareOp('ne');

const whereOp = defineOp({
  name: 'where',
  forward(cond: Tensor, a: Tensor, b: Tensor) {
    const dtype = assertFloat('where', 'a', a);
    assertFloat('where', 'b', b);
    assertSameDType('where', a, b);
    const shape = broadcastOrThrow('where', broadcastOrThrow('where', cond.shape, a.shape), b.shape);
    const size = shape.reduce((p, d) => p * d, 1);
    const c = expandedAny(cond, shape);
    const av = expanded(a, shape);
    const bv = expanded(b, shape);
    const out = allocate(dtype, size);
    whereSelect(c, av, bv, out);
    // The condition's values and the operands' shapes are all backward needs.
    return { out: wrap(out, shape), saved: { c, cond, a: { shape: a.shape }, b: { shape: b.shape }, shape } };
  },
  backward({ c, a, b, shape }, g) {
    const [ga, gb] = whereRoute(c, floatData(g));
    return [null, reduceTo(ga, shape, a), reduceTo(gb, shape, b)];
  },
  backwardGraph({ cond, a, b }, g) {
    return [null, sumTo(where(cond, g, 0), a.shape), sumTo(where(cond, 0, g), b.shape)];
  },
});

function expandedAny(t: Tensor, shape: readonly number[]): ArrayLike<number> {
  if (sameShape(t.shape, shape)) return t.data;
  const f = t.dtype === 'int32' ? Float64Array.from(t.data) : floatData(t);
  return kernels.broadcastTo(f, t.shape, shape);
}

/**
 * where(cond, a, b): a where cond ≠ 0, else b, with broadcasting of all
 * three. The gradient goes to a where cond holds and to b elsewhere.
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertTensor('where', 'condition', cond);
  const [ta, tb] = tensorOperands('where', a, b);
  return whereOp(cond, ta, tb);
}
