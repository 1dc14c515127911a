/** Parameter: a leaf tensor that requires grad and that modules discover as trainable state. */
import type { FloatArray } from '@tapegrad/autograd';
import { Tensor, ValueError } from '@tapegrad/autograd';

/** A trainable tensor (requiresGrad by default) that modules discover. */
export class Parameter extends Tensor {
  constructor(data: FloatArray, shape: readonly number[], requiresGrad = true) {
    super(data, shape, requiresGrad);
  }
  /** Wraps a tensor's values as a parameter (copied). */
  static from(t: Tensor): Parameter {
    if (t.dtype === 'int32') throw new ValueError('Parameter', 'parameters must be float32 or float64');
    return new Parameter((t.data as FloatArray).slice(), t.shape);
  }
}
