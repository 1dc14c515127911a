/**
 * ops.json: each case names a PyTorch op, its args and kwargs; the runner
 * computes out, backpropagates the given upstream gradient and compares out
 * and the gradient of every argument that has one. Kwargs use PyTorch names
 * and semantics (dim may be negative or a list, keepdim, ...).
 */
import * as T from '@tapegrad/autograd';
import type { Tensor } from '@tapegrad/autograd';
import type { FixtureTensor } from './fixture.js';
import { compare, isFixtureTensor, load } from './fixture.js';
import type { CaseResult, Suite } from './suite.js';
import { casesOf, guard } from './suite.js';

type Arg = Tensor | number;
type Kwargs = Record<string, unknown>;
type OpRunner = (args: Arg[], kw: Kwargs) => Tensor | Tensor[];

const t = (a: Arg | undefined): Tensor => {
  if (a === undefined || typeof a === 'number') throw new Error(`expected a tensor argument, got ${String(a)}`);
  return a;
};
const num = (v: unknown, fallback?: number): number | undefined => (v === undefined || v === null ? fallback : Number(v));
const dims = (v: unknown): number | number[] | undefined => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(Number) : Number(v));
const reduction = (kw: Kwargs): T.Reduction => (kw.reduction as T.Reduction | undefined) ?? 'mean';
const norm = (p: unknown): T.NormOrder => (p === undefined || p === null ? 2 : p === 'fro' ? 'fro' : p === 'inf' || p === Infinity ? Infinity : Number(p));
const unary = (f: (x: Tensor) => Tensor): OpRunner => ([x]) => f(t(x));
const binary = (f: (a: Tensor | number, b: Tensor | number) => Tensor): OpRunner => ([a, b]) => f(a!, b!);
const sizeArg = (kw: Kwargs): number[] => ((kw.shape ?? kw.size ?? kw.sizes) as number[]).map(Number);

/** PyTorch op name → a call of tapegrad's public API. */
export const OPS: Record<string, OpRunner> = {
  neg: unary(T.neg),
  exp: unary(T.exp),
  log: unary(T.log),
  log1p: unary(T.log1p),
  expm1: unary(T.expm1),
  sqrt: unary(T.sqrt),
  reciprocal: unary(T.reciprocal),
  tanh: unary(T.tanh),
  sigmoid: unary(T.sigmoid),
  relu: unary(T.relu),
  abs: unary(T.abs),
  sin: unary(T.sin),
  cos: unary(T.cos),
  square: unary(T.square),
  softplus: ([x], kw) => T.softplus(t(x), { beta: num(kw.beta), threshold: num(kw.threshold) }),
  gelu: ([x], kw) => T.gelu(t(x), { approximate: (kw.approximate as 'none' | 'tanh' | undefined) ?? 'none' }),
  leaky_relu: ([x], kw) => T.leakyRelu(t(x), num(kw.negative_slope, 0.01)),
  elu: ([x], kw) => T.elu(t(x), num(kw.alpha, 1)),
  add: ([a, b], kw) => T.add(a!, kw.alpha !== undefined ? T.mul(b!, Number(kw.alpha)) : b!),
  sub: ([a, b], kw) => T.sub(a!, kw.alpha !== undefined ? T.mul(b!, Number(kw.alpha)) : b!),
  mul: binary(T.mul),
  div: binary(T.div),
  pow: ([a, b]) => T.pow(t(a), b!),
  pow_scalar: ([a, b]) => T.pow(t(a), b!),
  maximum: binary(T.maximum),
  minimum: binary(T.minimum),
  clamp: ([x], kw) => T.clamp(t(x), num(kw.min) ?? null, num(kw.max) ?? null),
  where: ([c, a, b]) => T.where(T.gt(t(c), 0), a!, b!),
  matmul: ([a, b]) => T.matmul(t(a), t(b)),
  linear: ([x, w, b]) => T.linear(t(x), t(w), b === undefined ? null : t(b)),
  sum: ([x], kw) => T.sum(t(x), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim) }),
  mean: ([x], kw) => T.mean(t(x), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim) }),
  max: ([x], kw) => (kw.dim === undefined ? T.max(t(x)) : T.max(t(x), { dim: Number(kw.dim), keepdim: Boolean(kw.keepdim) })),
  min: ([x], kw) => (kw.dim === undefined ? T.min(t(x)) : T.min(t(x), { dim: Number(kw.dim), keepdim: Boolean(kw.keepdim) })),
  amax: ([x], kw) => T.max(t(x), { dim: Number(kw.dim), keepdim: Boolean(kw.keepdim) }),
  logsumexp: ([x], kw) => T.logsumexp(t(x), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim) }),
  var: ([x], kw) => T.variance(t(x), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim), ...(kw.unbiased !== undefined ? { unbiased: Boolean(kw.unbiased) } : {}), ...(kw.correction !== undefined ? { correction: Number(kw.correction) } : {}) }),
  std: ([x], kw) => T.std(t(x), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim), ...(kw.unbiased !== undefined ? { unbiased: Boolean(kw.unbiased) } : {}), ...(kw.correction !== undefined ? { correction: Number(kw.correction) } : {}) }),
  norm: ([x], kw) => T.norm(t(x), norm(kw.p), { dim: dims(kw.dim), keepdim: Boolean(kw.keepdim) }),
  reshape: ([x], kw) => T.reshape(t(x), sizeArg(kw)),
  view: ([x], kw) => T.reshape(t(x), sizeArg(kw)),
  flatten: ([x], kw) => T.flatten(t(x), num(kw.start_dim, 0), num(kw.end_dim, -1)),
  transpose: ([x], kw) => T.transpose(t(x), Number(kw.dim0), Number(kw.dim1)),
  permute: ([x], kw) => T.permute(t(x), (kw.dims as number[]).map(Number)),
  slice: ([x], kw) => T.slice(t(x), Number(kw.dim ?? 0), num(kw.start, 0), num(kw.end), num(kw.step, 1)),
  narrow: ([x], kw) => T.narrow(t(x), Number(kw.dim), Number(kw.start), Number(kw.length)),
  select: ([x], kw) => T.select(t(x), Number(kw.dim), Number(kw.index)),
  unsqueeze: ([x], kw) => T.unsqueeze(t(x), Number(kw.dim)),
  squeeze: ([x], kw) => T.squeeze(t(x), kw.dim === undefined ? undefined : Number(kw.dim)),
  expand: ([x], kw) => T.expand(t(x), sizeArg(kw)),
  cat: (args, kw) => T.cat(args.map(t), num(kw.dim, 0)),
  stack: (args, kw) => T.stack(args.map(t), num(kw.dim, 0)),
  index_select: ([x, i], kw) => T.indexSelect(t(x), Number(kw.dim), indexOf(kw.index ?? i)),
  gather: ([x, i], kw) => T.gather(t(x), Number(kw.dim), i !== undefined ? t(i) : (kw.index as Tensor)),
  embedding: ([w, ids]) => T.embedding(t(w), t(ids)),
  softmax: ([x], kw) => T.softmax(t(x), num(kw.dim, -1)),
  log_softmax: ([x], kw) => T.logSoftmax(t(x), num(kw.dim, -1)),
  cross_entropy: ([x, y], kw) =>
    T.crossEntropy(t(x), t(y), {
      reduction: reduction(kw),
      ...(kw.ignore_index !== undefined ? { ignoreIndex: Number(kw.ignore_index) } : {}),
      ...(kw.label_smoothing !== undefined ? { labelSmoothing: Number(kw.label_smoothing) } : {}),
      ...(kw.weight ? { weight: kw.weight as Tensor } : {}),
    }),
  nll_loss: ([x, y], kw) =>
    T.nllLoss(t(x), t(y), {
      reduction: reduction(kw),
      ...(kw.ignore_index !== undefined ? { ignoreIndex: Number(kw.ignore_index) } : {}),
      ...(kw.weight ? { weight: kw.weight as Tensor } : {}),
    }),
  mse_loss: ([a, b], kw) => T.mseLoss(t(a), t(b), { reduction: reduction(kw) }),
  l1_loss: ([a, b], kw) => T.l1Loss(t(a), t(b), { reduction: reduction(kw) }),
  smooth_l1_loss: ([a, b], kw) => T.smoothL1Loss(t(a), t(b), { reduction: reduction(kw), beta: num(kw.beta, 1) }),
  huber_loss: ([a, b], kw) => T.huberLoss(t(a), t(b), { reduction: reduction(kw), delta: num(kw.delta, 1) }),
  binary_cross_entropy_with_logits: ([a, b], kw) =>
    T.bceWithLogits(t(a), t(b), {
      reduction: reduction(kw),
      ...(kw.weight ? { weight: kw.weight as Tensor } : {}),
      ...(kw.pos_weight ? { posWeight: kw.pos_weight as Tensor } : {}),
    }),
};

function indexOf(v: unknown): T.IndexLike {
  if (v instanceof T.Tensor) return v;
  if (Array.isArray(v)) return v.map(Number);
  throw new Error(`index_select: expected an index list or tensor, got ${String(v)}`);
}

/** Fixture kwargs with tensors loaded (class weights, pos_weight, index tensors). */
export function loadKwargs(kw: Record<string, unknown>): Kwargs {
  const out: Kwargs = {};
  for (const [k, v] of Object.entries(kw ?? {})) out[k] = isFixtureTensor(v) ? load(v) : v;
  return out;
}

function runCase(c: Record<string, unknown>, index: number): CaseResult {
  const op = String(c.op);
  return guard(`ops[${index}] ${op}`, () => {
    const runner = OPS[op];
    if (!runner) throw new Error(`unsupported op '${op}'`);
    const grads = (c.grads as (FixtureTensor | null)[] | undefined) ?? [];
    const args: Arg[] = (c.args as (FixtureTensor | number)[]).map((a, i) => (typeof a === 'number' ? a : load(a, grads[i] != null)));
    const result = runner(args, loadKwargs(c.kwargs as Record<string, unknown>));
    const outs = Array.isArray(result) ? result : [result];
    const wantOuts = Array.isArray(c.out) ? (c.out as FixtureTensor[]) : [c.out as FixtureTensor];
    const comparisons = wantOuts.map((w, k) => compare(wantOuts.length > 1 ? `out[${k}]` : 'out', outs[k], w));
    const ups = c.upstream === undefined || c.upstream === null ? [] : Array.isArray(c.upstream) ? (c.upstream as FixtureTensor[]) : [c.upstream as FixtureTensor];
    if (grads.some((g) => g != null)) {
      const differentiable = outs.filter((o, k) => o.requiresGrad && ups[k]);
      if (differentiable.length === 0) throw new Error('output does not require grad although gradients are expected');
      T.gradients(differentiable, args.filter((a, i): a is Tensor => grads[i] != null && typeof a !== 'number'), {
        gradOutputs: outs.map((o, k) => (o.requiresGrad && ups[k] ? load(ups[k]!) : null)).filter((u): u is Tensor => u !== null),
      }).forEach((g, k) => {
        const i = grads.map((gr, j) => (gr != null ? j : -1)).filter((j) => j >= 0)[k]!;
        comparisons.push(compare(`grads[${i}]`, g, grads[i]!));
      });
    }
    return comparisons;
  });
}

export const opsSuite: Suite = {
  name: 'ops',
  file: 'ops.json',
  run: (fixture) => casesOf(fixture, 'ops.json').map(runCase),
};
