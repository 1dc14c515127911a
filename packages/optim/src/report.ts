/**
 * What a clip did, in numbers a learner can plot: norms before and after,
 * the scale, whether it clipped, the threshold in force.
 */

/** One tensor's view of a clip. Norms are in the transform's norm type (L2 unless stated). */
export interface TensorClipReport {
  /** Position of the parameter in its group. */
  index: number;
  normBefore: number;
  normAfter: number;
  /** The factor applied to this tensor; NaN for elementwise rules (value clipping, AGC). */
  scale: number;
  /** Whether any entry of this tensor changed. */
  clipped: boolean;
}

/** The report of one transformation applied at one step. */
export interface ClipReport {
  /** The transformation, e.g. `clipByGlobalNorm(1)`. */
  name: string;
  /** The norm type the norms are measured in: 2, 1 or Infinity. */
  normType: number;
  /** Global norm of the gradients before the transformation. */
  normBefore: number;
  /** Global norm after it. */
  normAfter: number;
  /** The single factor applied to every tensor, or null when tensors (or entries) were treated separately. */
  scale: number | null;
  /** Whether any gradient entry changed. */
  clipped: boolean;
  /** The threshold in force at this step (for adaptive rules, the one computed now); null if none. */
  threshold: number | null;
  tensors: TensorClipReport[];
  /** Reports of the parts of a chain, in order. */
  steps?: ClipReport[];
  /**
   * Which gradients the clip saw, set by the optimizer: 'group' (one
   * parameter group's own clip) or 'optimizer' (one transformation over
   * every parameter of every group), or 'shadow' (evaluated on a copy of the
   * raw gradients and not applied: see OptimizerOptions.shadow). Absent when
   * used alone.
   */
  scope?: 'group' | 'optimizer' | 'shadow';
  /** Rule-specific numbers (z-score, clipped units, non-finite entries...). */
  details?: Record<string, number>;
}
