/**
 * The functional gradient API:
 *   gradients(outputs, inputs)  — torch.autograd.grad: returns d(out)/d(inputs), touches no .grad
 *   grad(f)(...args)            — JAX-style: the gradient of a scalar function
 *   valueAndGrad(f)(...args)    — the value and the gradient in one pass
 */
import { formatShape } from './backend/index.js';
import { GraphError, ShapeError, ValueError } from './errors.js';
import { enableGrad, reachesOuterInputs, runBackward, whileDifferentiating } from './tape.js';
import { reshape } from './ops/shape.js';
import { checkOptions, describeValue, optionalBoolean, requireFunction } from './validate.js';
import { Tensor } from './tensor.js';
import { onesLike, zerosLike } from './creation.js';

/** Options of gradients(). */
export interface GradientsOptions {
  /** One upstream gradient per output (required for non-scalar outputs). */
  gradOutputs?: readonly Tensor[];
  /** Keep the graph for another backward pass. */
  retainGraph?: boolean;
  /**
   * Record the backward pass so the returned gradients are differentiable
   * (torch.autograd.grad's create_graph): gradient penalties, Hessian-vector
   * products. Implies retainGraph.
   */
  createGraph?: boolean;
  /**
   * Allow inputs the outputs do not depend on: their gradient is null (or
   * zeros with `materializeGrads`). Without it such an input is a GraphError,
   * as in torch.autograd.grad.
   */
  allowUnused?: boolean;
  /** With allowUnused: zeros instead of null for unused inputs. */
  materializeGrads?: boolean;
}

const GRADIENTS_KEYS = ['gradOutputs', 'retainGraph', 'createGraph', 'allowUnused', 'materializeGrads'];

/**
 * d(outputs)/d(inputs) with an optional upstream gradient per output
 * (torch.autograd.grad). Leaves' `.grad` are not touched. An input that the
 * outputs do not depend on is an error unless `allowUnused` (then null, or
 * zeros with `materializeGrads`).
 */
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options?: GradientsOptions & { allowUnused?: false }): Tensor[];
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradientsOptions & { allowUnused: true; materializeGrads: true }): Tensor[];
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradientsOptions): (Tensor | null)[];
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradientsOptions = {}): (Tensor | null)[] {
  checkOptions('gradients', options, GRADIENTS_KEYS);
  const allowUnused = optionalBoolean('gradients', 'allowUnused', options.allowUnused, false);
  const materialize = optionalBoolean('gradients', 'materializeGrads', options.materializeGrads, false);
  if (materialize && !allowUnused) throw new ValueError('gradients', 'materializeGrads needs allowUnused: true');
  const outs = outputs instanceof Tensor ? [outputs] : Array.isArray(outputs) ? [...outputs] : null;
  if (!outs || outs.length === 0 || outs.some((o) => !(o instanceof Tensor))) throw new ValueError('gradients', `outputs must be a Tensor or a non-empty list of tensors, got ${describeValue(outputs)}`);
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((t) => !(t instanceof Tensor))) throw new ValueError('gradients', `inputs must be a non-empty list of tensors, got ${describeValue(inputs)}`);
  if (options.gradOutputs !== undefined && (!Array.isArray(options.gradOutputs) || options.gradOutputs.length !== outs.length)) throw new ValueError('gradients', `gradOutputs must be a list of ${outs.length} tensor(s), got ${describeValue(options.gradOutputs)}`);
  const seeds = outs.map((o, i) => {
    const g = options.gradOutputs?.[i];
    if (g !== undefined && g !== null) {
      if (!(g instanceof Tensor)) throw new ValueError('gradients', `gradOutputs[${i}] must be a Tensor, got ${describeValue(g)}`);
      if (g.shape.join() !== o.shape.join()) throw new ShapeError('gradients', `gradOutputs[${i}] has shape ${formatShape(g.shape)} but output ${i} has ${formatShape(o.shape)}`);
      if (g.dtype !== o.dtype) throw new ValueError('gradients', `gradOutputs[${i}] is ${g.dtype} but output ${i} is ${o.dtype}`);
      return g;
    }
    if (o.size !== 1) throw new GraphError('gradients', `output ${i} has shape ${formatShape(o.shape)}; non-scalar outputs need gradOutputs`);
    return onesLike(o);
  });
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) throw new GraphError('gradients', `inputs[${i}] does not require grad`);
  });
  const grads = runBackward(outs, seeds, { retainGraph: optionalBoolean('gradients', 'retainGraph', options.retainGraph, false), createGraph: optionalBoolean('gradients', 'createGraph', options.createGraph, false), inputs, op: 'gradients' });
  return grads.map((g, i) => {
    if (g) return g;
    if (!allowUnused) throw new GraphError('gradients', `inputs[${i}] (shape ${formatShape(inputs[i]!.shape)}) was not used to compute the outputs; pass allowUnused: true to get null for it (or materializeGrads: true for zeros)`);
    return materialize ? zerosLike(inputs[i]!) : null;
  });
}

/** Which positional arguments to differentiate, and what to do with unused ones. */
export interface GradOptions {
  /** An index or a list of indices (default 0). */
  argnums?: number | readonly number[];
  /** Give zeros for an argument the value does not depend on, instead of a GraphError. */
  allowUnused?: boolean;
}

/** What grad returns: one gradient, or a list when `argnums` is a list. */
export type GradResult<O extends GradOptions> = O extends { argnums: readonly number[] } ? Tensor[] : Tensor;

/**
 * The differentiated arguments as fresh tensors: a new leaf sharing the data
 * (the caller's tensor and graph are untouched), or — when the argument
 * depends on what an enclosing grad is differentiating — a recorded view of
 * it, so the enclosing gradient flows through this one (grad(grad(f))).
 * `keepGraph` (the helpers' createGraph) views any argument that requires
 * grad, so results stay differentiable with respect to the caller's tensors.
 */
export function prepare(fnName: string, args: readonly unknown[], argnums: readonly number[], keepGraph = false): unknown[] {
  const prepared = [...args];
  for (const i of argnums) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) throw new ValueError(fnName, `argnums ${describeValue(i)} is out of range for ${args.length} argument(s)`);
    const a = args[i];
    if (!(a instanceof Tensor)) throw new ValueError(fnName, `argument ${i} must be a Tensor to differentiate it, got ${describeValue(a)}`);
    if (a.dtype === 'int32') throw new ValueError(fnName, `argument ${i} is int32; only float tensors can be differentiated`);
    prepared[i] = (keepGraph && a.requiresGrad) || reachesOuterInputs([a]) ? reshape(a, a.shape) : a.detach().requiresGrad_(true);
  }
  return prepared;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), df/d(args[argnums])]` for a
 * scalar-valued f. The arguments' own `.grad` are not modified. An argument
 * the value does not depend on is a GraphError unless `allowUnused` (zeros).
 * Transforms nest to any order: inside an enclosing grad/valueAndGrad
 * whose inputs the value depends on, the gradient is recorded (createGraph)
 * and the value is returned undetached, so `grad(grad(f))` is f''.
 */
export function valueAndGrad<A extends unknown[], O extends GradOptions = GradOptions>(f: (...args: A) => Tensor, options?: O): (...args: A) => [Tensor, GradResult<O>] {
  requireFunction('valueAndGrad', 'f', f);
  checkOptions('valueAndGrad', options, ['argnums', 'allowUnused']);
  const allowUnused = optionalBoolean('valueAndGrad', 'allowUnused', options?.allowUnused, false);
  const list = options?.argnums;
  if (list !== undefined && typeof list !== 'number' && !Array.isArray(list)) throw new ValueError('valueAndGrad', `argnums must be an index or a list of indices, got ${describeValue(list)}`);
  const argnums = list === undefined ? [0] : typeof list === 'number' ? [list] : [...list];
  return (...args: A) => {
    const prepared = prepare('valueAndGrad', args, argnums) as A;
    const inputs = argnums.map((i) => prepared[i] as Tensor);
    const value = whileDifferentiating(inputs, () => enableGrad(() => f(...prepared)));
    if (!(value instanceof Tensor) || value.size !== 1) throw new GraphError('valueAndGrad', `f must return a scalar tensor, got ${value instanceof Tensor ? `shape ${formatShape(value.shape)}` : describeValue(value)}`);
    // Nested in a transform that differentiates something this value depends on: record the backward pass.
    const nested = reachesOuterInputs([value]);
    let grads: Tensor[];
    if (value.requiresGrad) grads = gradients(value, inputs, { allowUnused: true, materializeGrads: false, createGraph: nested }).map((g, k) => g ?? unused(allowUnused, argnums[k]!, inputs[k]!));
    else grads = inputs.map((t, k) => unused(allowUnused, argnums[k]!, t));
    const result = (Array.isArray(list) ? grads : grads[0]!) as GradResult<O>;
    return [nested ? value : value.detach(), result];
  };
}

function unused(allowed: boolean, argnum: number, t: Tensor): Tensor {
  if (!allowed) throw new GraphError('valueAndGrad', `the value does not depend on argument ${argnum}; pass allowUnused: true for a zero gradient`);
  return zerosLike(t);
}

/** `grad(f)(...args)`: the gradient of scalar-valued f with respect to args[argnums] (default the first). */
export function grad<A extends unknown[], O extends GradOptions = GradOptions>(f: (...args: A) => Tensor, options?: O): (...args: A) => GradResult<O> {
  const vg = valueAndGrad(f, options);
  return (...args: A) => vg(...args)[1];
}
