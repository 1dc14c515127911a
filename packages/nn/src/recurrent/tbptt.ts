/**
 * Truncated backpropagation through time (Williams & Peng 1990): run a long
 * sequence in chunks, carrying the recurrent state from one chunk to the next
 * but detached, so each backward stops at the chunk boundary.
 *
 *   let state: RecurrentState = {};
 *   for (const chunk of timeChunks(x, 50, { batchFirst: true })) {
 *     const { out, hn, cn } = lstm.forward(chunk, state);
 *     loss(out).backward(); opt.step(); opt.zeroGrad();
 *     state = carryState({ hn, cn });
 *   }
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ValueError, checkOptions, describeValue, optionalBoolean, requireNumber } from '@tapegrad/autograd';
import type { RecurrentState } from './layers.js';

/** The next chunk's initial state: hn (and cn) detached from the graph. */
export function carryState(prev: { hn: Tensor; cn?: Tensor | undefined }): RecurrentState {
  return { h0: prev.hn.detach(), c0: prev.cn ? prev.cn.detach() : null };
}

/** Splits a sequence along its time dim into chunks of at most `length` steps. */
export function timeChunks(x: Tensor, length: number, options: { batchFirst?: boolean } = {}): Tensor[] {
  if (!(x instanceof T.Tensor)) throw new ValueError('timeChunks', `x must be a Tensor, got ${describeValue(x)}`);
  requireNumber('timeChunks', 'length', length, { integer: true, min: 1 });
  checkOptions('timeChunks', options, ['batchFirst']);
  optionalBoolean('timeChunks', 'batchFirst', options.batchFirst, false);
  const dim = x.ndim === 2 ? 0 : options.batchFirst ? 1 : 0;
  return T.split(x, length, dim);
}
