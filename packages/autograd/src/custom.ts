/**
 * User-defined ops. `customOp` is the same `defineOp` the built-in ops use:
 * give a name, a forward that returns the output and what backward needs,
 * and a backward that maps the output gradient to one gradient per tensor
 * input. `clipGradient` is the teaching example.
 */
import { defineOp } from './op.js';
import { clamp, clone } from './ops/unary.js';
import type { Tensor } from './tensor.js';

export { defineOp as customOp, defineMultiOp as customMultiOp } from './op.js';
export type { OpSpec, MultiOpSpec, GradList } from './op.js';

const clipGradientOp = defineOp({
  name: 'clipGradient',
  // Identity on the way forward (a copy, so the output is a new tensor)...
  forward(x: Tensor, lo: number, hi: number) {
    return { out: clone(x), saved: { lo, hi } };
  },
  // ...and the gradient clamped to [lo, hi] on the way back.
  backward({ lo, hi }, g) {
    return [clamp(g, lo, hi)];
  },
  // The same clamp, recorded: a custom op that supports higher-order gradients says how.
  backwardGraph({ lo, hi }, g) {
    return [clamp(g, lo, hi)];
  },
});

/**
 * Identity in the forward pass; in the backward pass the gradient flowing
 * through is clamped to [lo, hi] elementwise. Insert it at a point of the
 * graph to clip the gradient there (for instance on an RNN's hidden state
 * at every step) rather than on the parameters at the end.
 */
export function clipGradient(x: Tensor, lo: number, hi: number): Tensor {
  return clipGradientOp(x, lo, hi);
}
