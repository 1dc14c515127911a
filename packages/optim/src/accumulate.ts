/**
 * Gradient accumulation: k micro-batches add their gradients into `.grad`
 * (backward accumulates), then the optimizer clips ONCE on the sum and steps:
 * clip(g₁ + … + g_k), never clip(clip(g₁) + g₂ …). With `average` the sum is
 * divided by k first, so the result matches one big batch of mean losses.
 */
import { ValueError, checkOptions, describeValue, optionalBoolean, requireNumber } from '@tapegrad/autograd';
import type { FloatArray } from '@tapegrad/autograd';
import type { StepReport } from './optimizer.js';

/** What GradientAccumulator drives: an optimizer with parameter groups and a step (every Optimizer). */
export interface Steppable {
  paramGroups: { params: { grad: { data: unknown } | null }[] }[];
  step(): StepReport;
  zeroGrad(options?: { setToNone?: boolean }): void;
}

/** Steps the optimizer every `steps` micro-batches, clipping the accumulated gradient once. */
export class GradientAccumulator {
  private count = 0;
  constructor(readonly optimizer: Steppable, readonly options: { steps: number; average?: boolean }) {
    if (options === null || typeof options !== 'object') throw new ValueError('GradientAccumulator', `needs an options object { steps, average? }, got ${describeValue(options)}`);
    checkOptions('GradientAccumulator', options, ['steps', 'average']);
    requireNumber('GradientAccumulator', 'steps', options.steps, { integer: true, min: 1 });
    optionalBoolean('GradientAccumulator', 'average', options.average, false);
  }
  /** Micro-batches accumulated since the last optimizer step. */
  get pending(): number {
    return this.count;
  }
  /**
   * Call after each micro-batch's backward(). Returns the step report on
   * every k-th call (after clipping the accumulated gradient, stepping and
   * zeroing), null otherwise.
   */
  step(): StepReport | null {
    this.count++;
    if (this.count < this.options.steps) return null;
    return this.flush();
  }
  /** Steps now on whatever has accumulated (e.g. at the end of an epoch); null if nothing has. */
  flush(): StepReport | null {
    if (this.count === 0) return null;
    if (this.options.average) {
      const s = 1 / this.count;
      for (const g of this.optimizer.paramGroups)
        for (const p of g.params) {
          if (!p.grad) continue;
          const d = p.grad.data as FloatArray;
          for (let i = 0; i < d.length; i++) d[i] *= s;
        }
    }
    const report = this.optimizer.step();
    this.optimizer.zeroGrad();
    this.count = 0;
    return report;
  }
}
