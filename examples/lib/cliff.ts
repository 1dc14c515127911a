/**
 * The one-unit recurrent net of Pascanu, Mikolov & Bengio (2013), section 3:
 * x_t = w·σ(x_{t−1}) + b from x_0, loss (x_T − target)². Its loss surface over
 * (w, b) has a cliff where the dynamics cross a bifurcation. Shared by the
 * exploding-cliff example and the playground.
 */
import type { Tensor } from '@tapegrad/autograd';
import { add, full, mul, sigmoid, square, sub } from '@tapegrad/autograd';

/** The recurrence's length, start and target. */
export interface Setup {
  T: number;
  x0: number;
  target: number;
}

/** x_T for tensors w, b of any (equal) shape, elementwise: the recurrence unrolled T times on the tape. */
export function unroll(w: Tensor, b: Tensor, s: Setup): Tensor {
  let x = full([...w.shape], s.x0, { dtype: 'float64' });
  for (let t = 0; t < s.T; t++) x = add(mul(w, sigmoid(x)), b);
  return x;
}

/** (x_T − target)², elementwise over w and b. */
export function lossAt(w: Tensor, b: Tensor, s: Setup): Tensor {
  return square(sub(unroll(w, b, s), s.target));
}

