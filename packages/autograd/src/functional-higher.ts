/**
 * torch.autograd.functional-style helpers built on recorded backward
 * passes. Each takes a function of one tensor or of a list of tensors and
 * answers in the same form (one tensor in, one tensor out; a list in, a
 * list out):
 *   vjp(f, x, v)      vᵀ·J        one reverse pass
 *   jvp(f, x, v)      J·v         the double-vjp trick: J·v = ∂/∂u ⟨uᵀJ, v⟩, since uᵀJ is linear in u
 *   hvp(f, x, v)      H·v         ∂/∂x ⟨∇f(x), v⟩ (H is symmetric, so this is also vᵀH)
 *   jacobian(f, x)    J           one vjp per output element; shape [...out, ...x]
 *   hessian(f, x)     H           one hvp row per input element; shape [...x, ...x]
 * The arguments are not modified and their `.grad` untouched. With
 * `createGraph` the results are themselves differentiable; inside an
 * enclosing grad/valueAndGrad that differentiates the arguments they are
 * recorded automatically, so the helpers nest like grad does.
 */
import { formatShape, sameShape } from './backend/index.js';
import { GraphError, ShapeError, ValueError } from './errors.js';
import { onesLike, zeros, zerosLike } from './creation.js';
import { gradients, prepare } from './functional.js';
import { add, mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { reshape, stack } from './ops/shape.js';
import { enableGrad, reachesOuterInputs, whileDifferentiating } from './tape.js';
import { Tensor } from './tensor.js';
import { checkOptions, describeValue, optionalBoolean, requireFunction } from './validate.js';

/** Options of the functional helpers. */
export interface FunctionalOptions {
  /** Make the result differentiable (record the backward passes). Default false, unless nested in a grad. */
  createGraph?: boolean;
}

/** The inputs of the functional helpers: one tensor or a list. */
export type FunctionalInputs = Tensor | readonly Tensor[];
/** A helper's result in the form of its inputs: one tensor for one tensor, a list for a list. */
export type FunctionalResult<I extends FunctionalInputs> = I extends Tensor ? Tensor : Tensor[];

interface Prepared {
  xs: Tensor[];
  single: boolean;
  createGraph: boolean;
}

function setup(fn: string, f: unknown, inputs: FunctionalInputs, options: FunctionalOptions | undefined): Prepared {
  requireFunction(fn, 'f', f);
  checkOptions(fn, options, ['createGraph']);
  const createGraph = optionalBoolean(fn, 'createGraph', options?.createGraph, false);
  const single = inputs instanceof Tensor;
  const list = single ? [inputs] : Array.isArray(inputs) ? [...inputs] : null;
  if (!list || list.length === 0 || list.some((t) => !(t instanceof Tensor))) throw new ValueError(fn, `inputs must be a Tensor or a non-empty list of tensors, got ${describeValue(inputs)}`);
  const xs = prepare(fn, list, list.map((_, i) => i), createGraph) as Tensor[];
  return { xs, single, createGraph: createGraph || reachesOuterInputs(list) };
}

/** Tensors matching `xs` one to one (a direction per input), checked for shape and dtype. */
function directions(fn: string, name: string, v: FunctionalInputs, like: readonly Tensor[]): Tensor[] {
  const list = v instanceof Tensor ? [v] : Array.isArray(v) ? [...v] : null;
  if (!list || list.length !== like.length || list.some((t) => !(t instanceof Tensor))) throw new ValueError(fn, `${name} must match the inputs: ${like.length} tensor(s), got ${describeValue(v)}`);
  list.forEach((t, i) => {
    if (!sameShape(t.shape, like[i]!.shape)) throw new ShapeError(fn, `${name}[${i}] has shape ${formatShape(t.shape)}, expected ${formatShape(like[i]!.shape)}`);
    if (t.dtype !== like[i]!.dtype) throw new ValueError(fn, `${name}[${i}] is ${t.dtype}, expected ${like[i]!.dtype}`);
  });
  return list;
}

function evaluate(fn: string, f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): Tensor {
  const out = whileDifferentiating(xs, () => enableGrad(() => f(...xs)));
  if (!(out instanceof Tensor)) throw new ValueError(fn, `f must return a Tensor, got ${describeValue(out)}`);
  return out;
}

/** d(outputs)/d(xs) with unused inputs as zeros; a constant output gives zeros everywhere. */
function grads(out: Tensor, xs: readonly Tensor[], seed: Tensor, createGraph: boolean): Tensor[] {
  if (!out.requiresGrad) return xs.map((x) => zerosLike(x));
  return gradients(out, xs, { gradOutputs: [seed], allowUnused: true, materializeGrads: true, createGraph, retainGraph: true });
}

function answer<I extends FunctionalInputs>(single: boolean, list: Tensor[], createGraph: boolean): FunctionalResult<I> {
  const result = createGraph ? list : list.map((t) => t.detach());
  return (single ? result[0]! : result) as FunctionalResult<I>;
}

/**
 * The vector–Jacobian product vᵀ·∂f/∂x (torch.autograd.functional.vjp).
 * `v` has f's output shape (omit it for a scalar f). Returns [f(x), vᵀJ].
 */
export function vjp<I extends FunctionalInputs>(f: (...xs: Tensor[]) => Tensor, inputs: I, v?: Tensor, options?: FunctionalOptions): [Tensor, FunctionalResult<I>] {
  const { xs, single, createGraph } = setup('vjp', f, inputs, options);
  const out = evaluate('vjp', f, xs);
  let seed: Tensor;
  if (v === undefined) {
    if (out.size !== 1) throw new GraphError('vjp', `f returned shape ${formatShape(out.shape)}; a non-scalar output needs v`);
    seed = onesLike(out);
  } else seed = directions('vjp', 'v', v, [out])[0]!;
  return [createGraph ? out : out.detach(), answer<I>(single, grads(out, xs, seed, createGraph), createGraph)];
}

/**
 * The Jacobian–vector product ∂f/∂x·v (torch.autograd.functional.jvp), by
 * the double-vjp trick: g(u) = uᵀJ is linear in a dummy u, and ∂⟨g(u), v⟩/∂u = J·v.
 * `v` matches the inputs. Returns [f(x), Jv] (Jv has f's output shape).
 */
export function jvp<I extends FunctionalInputs>(f: (...xs: Tensor[]) => Tensor, inputs: I, v: I, options?: FunctionalOptions): [Tensor, Tensor] {
  const { xs, createGraph } = setup('jvp', f, inputs, options);
  const vs = directions('jvp', 'v', v, xs);
  const out = evaluate('jvp', f, xs);
  if (!out.requiresGrad) return [out.detach(), zerosLike(out)];
  const u = zerosLike(out).requiresGrad_(true);
  const g = gradients(out, xs, { gradOutputs: [u], allowUnused: true, materializeGrads: true, createGraph: true, retainGraph: true });
  let s: Tensor | null = null;
  g.forEach((gi, i) => {
    const term = sum(mul(gi, vs[i]!));
    s = s ? add(s, term) : term;
  });
  const jv = s !== null && (s as Tensor).requiresGrad ? gradients(s, [u], { allowUnused: true, materializeGrads: true, createGraph })[0]! : zerosLike(out);
  return [createGraph ? out : out.detach(), createGraph ? jv : jv.detach()];
}

/**
 * The Hessian–vector product ∇²f(x)·v of a scalar f (torch.autograd.functional.hvp),
 * as ∂⟨∇f(x), v⟩/∂x: two reverse passes, the first recorded. Returns [f(x), Hv].
 */
export function hvp<I extends FunctionalInputs>(f: (...xs: Tensor[]) => Tensor, inputs: I, v: I, options?: FunctionalOptions): [Tensor, FunctionalResult<I>] {
  const { xs, single, createGraph } = setup('hvp', f, inputs, options);
  const vs = directions('hvp', 'v', v, xs);
  const out = scalar('hvp', evaluate('hvp', f, xs));
  const g = grads(out, xs, onesLike(out), true);
  let s: Tensor | null = null;
  g.forEach((gi, i) => {
    const term = sum(mul(gi, vs[i]!));
    s = s ? add(s, term) : term;
  });
  const hv = s !== null && (s as Tensor).requiresGrad ? grads(s, xs, onesLike(s), createGraph) : xs.map((x) => zerosLike(x));
  return [createGraph ? out : out.detach(), answer<I>(single, hv, createGraph)];
}

function scalar(fn: string, out: Tensor): Tensor {
  if (out.size !== 1) throw new GraphError(fn, `f must return a scalar tensor, got shape ${formatShape(out.shape)}`);
  return out;
}

/**
 * The Jacobian ∂f/∂x (torch.autograd.functional.jacobian): shape
 * [...f(x).shape, ...x.shape] per input, one reverse pass per output element
 * (meant for small inputs).
 */
export function jacobian<I extends FunctionalInputs>(f: (...xs: Tensor[]) => Tensor, inputs: I, options?: FunctionalOptions): FunctionalResult<I> {
  const { xs, single, createGraph } = setup('jacobian', f, inputs, options);
  const out = evaluate('jacobian', f, xs);
  const rows = rowsOf(out, xs, createGraph);
  return answer<I>(single, xs.map((x, i) => reshape(stackRows(rows.map((r) => r[i]!), x), [...out.shape, ...x.shape])), createGraph);
}

/**
 * The Hessian ∇²f(x) of a scalar f (torch.autograd.functional.hessian): for
 * one input, shape [...x.shape, ...x.shape]; for a list, the blocks
 * H[i][j] = ∂²f/∂x_i∂x_j, each [...x_i.shape, ...x_j.shape].
 */
export function hessian<I extends FunctionalInputs>(f: (...xs: Tensor[]) => Tensor, inputs: I, options?: FunctionalOptions): I extends Tensor ? Tensor : Tensor[][] {
  const { xs, single, createGraph } = setup('hessian', f, inputs, options);
  const out = scalar('hessian', evaluate('hessian', f, xs));
  const g = grads(out, xs, onesLike(out), true);
  const blocks = xs.map((xi, i) => {
    const rows = rowsOf(g[i]!, xs, createGraph);
    return xs.map((xj, j) => {
      const block = reshape(stackRows(rows.map((r) => r[j]!), xj), [...xi.shape, ...xj.shape]);
      return createGraph ? block : block.detach();
    });
  });
  return (single ? blocks[0]![0]! : blocks) as I extends Tensor ? Tensor : Tensor[][];
}

/** For each element k of `out`: ∂out_k/∂xs (one reverse pass each, the graph kept between them). */
function rowsOf(out: Tensor, xs: readonly Tensor[], createGraph: boolean): Tensor[][] {
  const rows: Tensor[][] = [];
  for (let k = 0; k < out.size; k++) {
    const e = zeros(out.shape, { dtype: out.dtype === 'float32' ? 'float32' : 'float64' });
    e.data[k] = 1;
    rows.push(grads(out, xs, e, createGraph));
  }
  return rows;
}

function stackRows(rows: Tensor[], like: Tensor): Tensor {
  return rows.length === 0 ? zeros([0, ...like.shape], { dtype: like.dtype === 'float32' ? 'float32' : 'float64' }) : stack(rows, 0);
}
