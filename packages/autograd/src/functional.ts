/**
 * The functional gradient API:
 *   gradients(outputs, inputs)  — torch.autograd.grad: returns d(out)/d(inputs), touches no .grad
 *   grad(f)(...args)            — JAX-style: the gradient of a scalar function
 *   valueAndGrad(f)(...args)    — the value and the gradient in one pass
 */
import { formatShape } from './backend/index.js';
import { GraphError, ShapeError, ValueError } from './errors.js';
import { enableGrad, runBackward } from './tape.js';
import { Tensor } from './tensor.js';
import { onesLike, zerosLike } from './creation.js';

/**
 * d(outputs)/d(inputs) with an optional upstream gradient per output
 * (required for non-scalar outputs). Leaves' `.grad` are not touched; inputs
 * that do not influence the outputs get zeros.
 */
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: { gradOutputs?: readonly Tensor[]; retainGraph?: boolean } = {}): Tensor[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const seeds = outs.map((o, i) => {
    const g = options.gradOutputs?.[i];
    if (g) {
      if (g.shape.join() !== o.shape.join()) throw new ShapeError('gradients', `gradOutputs[${i}] has shape ${formatShape(g.shape)} but output ${i} has ${formatShape(o.shape)}`);
      return g;
    }
    if (o.size !== 1) throw new GraphError('gradients', `output ${i} has shape ${formatShape(o.shape)}; non-scalar outputs need gradOutputs`);
    return onesLike(o);
  });
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) throw new GraphError('gradients', `inputs[${i}] does not require grad`);
  });
  return runBackward(outs, seeds, { retainGraph: options.retainGraph ?? false, inputs });
}

/** Which positional arguments to differentiate: an index or a list (default 0). */
export interface GradOptions {
  argnums?: number | readonly number[];
}

type GradResult<O extends GradOptions> = O extends { argnums: readonly number[] } ? Tensor[] : Tensor;

function prepare(fnName: string, args: readonly unknown[], argnums: readonly number[]): unknown[] {
  const prepared = [...args];
  for (const i of argnums) {
    const a = args[i];
    if (!(a instanceof Tensor)) throw new ValueError(fnName, `argument ${i} must be a Tensor to differentiate it, got ${typeof a}`);
    if (a.dtype === 'int32') throw new ValueError(fnName, `argument ${i} is int32; only float tensors can be differentiated`);
    // A fresh leaf sharing the data: the caller's tensor and graph are untouched.
    prepared[i] = a.detach().requiresGrad_(true);
  }
  return prepared;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), df/d(args[argnums])]` for a
 * scalar-valued f. The arguments' own `.grad` are not modified.
 */
export function valueAndGrad<A extends unknown[], O extends GradOptions = GradOptions>(f: (...args: A) => Tensor, options?: O): (...args: A) => [Tensor, GradResult<O>] {
  const list = options?.argnums;
  const argnums = list === undefined ? [0] : typeof list === 'number' ? [list] : [...list];
  return (...args: A) => {
    const prepared = prepare('valueAndGrad', args, argnums) as A;
    const value = enableGrad(() => f(...prepared));
    if (!(value instanceof Tensor) || value.size !== 1) throw new GraphError('valueAndGrad', `f must return a scalar tensor, got ${value instanceof Tensor ? `shape ${formatShape(value.shape)}` : typeof value}`);
    const inputs = argnums.map((i) => prepared[i] as Tensor);
    const grads = value.requiresGrad ? gradients(value, inputs) : inputs.map((t) => zerosLike(t));
    const result = (Array.isArray(list) ? grads : grads[0]!) as GradResult<O>;
    return [value.detach(), result];
  };
}

/** `grad(f)(...args)`: the gradient of scalar-valued f with respect to args[argnums] (default the first). */
export function grad<A extends unknown[], O extends GradOptions = GradOptions>(f: (...args: A) => Tensor, options?: O): (...args: A) => GradResult<O> {
  const vg = valueAndGrad(f, options);
  return (...args: A) => vg(...args)[1];
}
