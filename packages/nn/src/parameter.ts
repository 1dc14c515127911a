/** Parameter: a leaf tensor that requires grad and that modules discover as trainable state. */
import type { FloatArray } from '@tapegrad/autograd';
import { Tensor, ValueError } from '@tapegrad/autograd';

/** A trainable tensor (requiresGrad by default) that modules discover. */
export class Parameter extends Tensor {
  constructor(data: FloatArray, shape: readonly number[], requiresGrad = true) {
    super(data, shape, requiresGrad);
  }
  /**
   * Replaces the storage with `data` of the same length (possibly another
   * float dtype) and drops the gradient; used by Module.to(dtype).
   */
  setData(data: FloatArray): void {
    if (data.length !== this.size) throw new ValueError('Parameter.setData', `expected ${this.size} values, got ${data.length}`);
    this.data = data;
    this.grad = null;
  }
  /** Wraps a tensor's values as a parameter (copied). */
  static from(t: Tensor): Parameter {
    if (t.dtype === 'int32') throw new ValueError('Parameter', 'parameters must be float32 or float64');
    return new Parameter((t.data as FloatArray).slice(), t.shape);
  }
}
