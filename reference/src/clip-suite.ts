/**
 * clip.json: gradients (and parameters for AGC) before and after a clip, by
 * method, with the total norm where the method reports one.
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import type { GradientTransformation } from '@tapegrad/optim';
import { adaptiveGradClip, applyTransform, clipByGlobalNorm, clipByNorm, clipByValue, clipGradNorm_ } from '@tapegrad/optim';
import type { Comparison, FixtureTensor } from './fixture.js';
import { compare, load } from './fixture.js';
import type { Suite } from './suite.js';
import { casesOf, guard } from './suite.js';

export function normTypeOf(v: unknown): number {
  return v === undefined || v === null ? 2 : v === 'inf' || v === 'Infinity' ? Infinity : Number(v);
}

/** The transformation a fixture `clip`/case describes (PyTorch names). */
export function transformFor(c: Record<string, unknown>): GradientTransformation {
  switch (c.method) {
    case 'global_norm_torch':
      return clipByGlobalNorm(Number(c.max_norm), { normType: normTypeOf(c.norm_type) });
    case 'global_norm_exact':
      return clipByGlobalNorm(Number(c.max_norm), { normType: normTypeOf(c.norm_type), eps: 0 });
    case 'per_tensor_norm':
      return clipByNorm(Number(c.max_norm));
    case 'value':
      return clipByValue(Number(c.clip_value));
    case 'agc':
      return adaptiveGradClip(Number(c.clipping), { eps: c.eps === undefined ? undefined : Number(c.eps) });
    default:
      throw new Error(`unsupported clip method '${String(c.method)}'`);
  }
}

export const clipSuite: Suite = {
  name: 'clip',
  file: 'clip.json',
  run: (fixture) =>
    casesOf(fixture, 'clip.json').map((c, index) =>
      guard(`clip[${index}] ${String(c.method)}`, () => {
        const grads = (c.grads as FixtureTensor[]).map((g) => load(g));
        const params: Tensor[] = c.params ? (c.params as FixtureTensor[]).map((p) => load(p, true)) : grads.map((g) => T.zeros([...g.shape], { dtype: g.dtype, requiresGrad: true }));
        params.forEach((p, i) => (p.grad = grads[i]!));
        const comparisons: Comparison[] = [];
        let total: number;
        if (c.method === 'global_norm_torch') {
          // The PyTorch-style free function, which returns the norm before clipping.
          total = clipGradNorm_(params, Number(c.max_norm), { normType: normTypeOf(c.norm_type) });
        } else {
          total = applyTransform(transformFor(c), params).report.normBefore;
        }
        if (typeof c.total_norm === 'number') comparisons.push(compare('total_norm', total, c.total_norm));
        (c.clipped as FixtureTensor[]).forEach((want, i) => comparisons.push(compare(`clipped[${i}]`, params[i]!.grad, want)));
        return comparisons;
      }),
    ),
};
