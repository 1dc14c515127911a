/**
 * optim.json: a parameter, a gradient per step, the parameter after each
 * step. PyTorch hyper-parameter names are mapped to tapegrad's (snake_case →
 * camelCase); every optimizer is built through the public constructor.
 */
import type { Tensor } from '@tapegrad/autograd';
import type { Optimizer, ParamList } from '@tapegrad/optim';
import { Adagrad, Adam, AdamW, RMSprop, SGD } from '@tapegrad/optim';
import type { FixtureTensor } from './fixture.js';
import { compare, load } from './fixture.js';
import type { Suite } from './suite.js';
import { casesOf, guard } from './suite.js';

/** PyTorch hyper-parameter dict → tapegrad option object. */
export function hyperFromTorch(hyper: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hyper ?? {})) out[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out;
}

type AnyOptimizer = Optimizer<{ lr: number }>;

/** Builds an optimizer by its PyTorch name. */
export function makeOptimizer(name: string, params: ParamList, hyper: Record<string, unknown>, extra: Record<string, unknown> = {}): AnyOptimizer {
  const options = { ...hyperFromTorch(hyper), ...extra };
  switch (name.toLowerCase()) {
    case 'sgd':
      return new SGD(params, options) as unknown as AnyOptimizer;
    case 'adam':
      return new Adam(params, options) as unknown as AnyOptimizer;
    case 'adamw':
      return new AdamW(params, options) as unknown as AnyOptimizer;
    case 'rmsprop':
      return new RMSprop(params, options) as unknown as AnyOptimizer;
    case 'adagrad':
      return new Adagrad(params, options) as unknown as AnyOptimizer;
    default:
      throw new Error(`unsupported optimizer '${name}'`);
  }
}

export const optimSuite: Suite = {
  name: 'optim',
  file: 'optim.json',
  run: (fixture) =>
    casesOf(fixture, 'optim.json').map((c, index) =>
      guard(`optim[${index}] ${String(c.optimizer)} ${JSON.stringify(c.hyper)}`, () => {
        const p: Tensor = load(c.param0 as FixtureTensor, true);
        const opt = makeOptimizer(String(c.optimizer), [p], c.hyper as Record<string, unknown>);
        const grads = c.grads as FixtureTensor[];
        const after = c.params_after_each_step as FixtureTensor[];
        return grads.map((g, i) => {
          p.grad = load(g);
          opt.step();
          return compare(`step ${i}`, p, after[i]!);
        });
      }),
    ),
};
