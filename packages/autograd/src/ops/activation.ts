/**
 * softmax and log-softmax along a dim, composed from primitives:
 *   logSoftmax(x) = (x − m) − log Σ exp(x − m),   m = max(x) held constant
 *   softmax(x)    = exp(logSoftmax(x))
 * The shift is subtracted BEFORE the log-sum is added back: x − m is exact
 * near the maximum, whereas x − logsumexp(x) rounds logsumexp to the scale of
 * x first (at 1e8 in float32 that swallows log 3 whole, and softmax([1e8, 1e8,
 * 1e8]) came out as [1, 1, 1]). A constant shift changes neither the value
 * nor the gradient.
 */
import type { Tensor } from '../tensor.js';
import { sub } from './elementwise.js';
import { maxShift, sum } from './reduce.js';
import { exp, log } from './unary.js';
import { assertFloat, normalizeDim } from './util.js';

/** log(softmax(x)) along `dim` (default −1), exact for logits of any magnitude (tested to 1e30). */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  assertFloat('logSoftmax', 'input', x);
  const d = normalizeDim('logSoftmax', dim, x.ndim, x.shape);
  const shifted = sub(x, maxShift(x, [d]));
  return sub(shifted, log(sum(exp(shifted), { dim: d, keepdim: true })));
}

/** softmax(x)_i = e^{x_i} / Σ_j e^{x_j} along `dim` (default −1). */
export function softmax(x: Tensor, dim = -1): Tensor {
  assertFloat('softmax', 'input', x);
  const d = normalizeDim('softmax', dim, x.ndim, x.shape);
  return exp(logSoftmax(x, d));
}
