/**
 * softmax and log-softmax along a dim, composed from primitives:
 *   logSoftmax(x) = x − logsumexp(x)   (stable: logsumexp shifts by the max)
 *   softmax(x)    = exp(logSoftmax(x))
 */
import type { Tensor } from '../tensor.js';
import { sub } from './elementwise.js';
import { logsumexp } from './reduce.js';
import { exp } from './unary.js';
import { assertFloat, normalizeDim } from './util.js';

/** log(softmax(x)) along `dim` (default −1), computed without overflow. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  assertFloat('logSoftmax', 'input', x);
  const d = normalizeDim('logSoftmax', dim, x.ndim, x.shape);
  return sub(x, logsumexp(x, { dim: d, keepdim: true }));
}

/** softmax(x)_i = e^{x_i} / Σ_j e^{x_j} along `dim` (default −1). */
export function softmax(x: Tensor, dim = -1): Tensor {
  assertFloat('softmax', 'input', x);
  const d = normalizeDim('softmax', dim, x.ndim, x.shape);
  return exp(logSoftmax(x, d));
}
