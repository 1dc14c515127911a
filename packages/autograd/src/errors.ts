/**
 * Errors are part of the API: each names the operation that raised it and
 * the offending values, e.g. `matmul: inner dimensions differ: [2,3] @ [4,5]`.
 */
export class TapegradError extends Error {
  /** The operation (or API function) that raised the error. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.op = op;
    this.name = 'TapegradError';
  }
}
/** Incompatible or invalid shapes. */
export class ShapeError extends TapegradError {
  override name = 'ShapeError';
}
/** Mismatched or unsupported dtypes. */
export class DTypeError extends TapegradError {
  override name = 'DTypeError';
}
/** A dimension or index out of range. */
export class IndexError extends TapegradError {
  override name = 'IndexError';
}
/** An invalid argument value (negative size, bad option...). */
export class ValueError extends TapegradError {
  override name = 'ValueError';
}
/** Misuse of the graph: backward through a freed graph, non-scalar backward without a gradient. */
export class GraphError extends TapegradError {
  override name = 'GraphError';
}
/** A NaN or infinity detected while anomaly mode is on, or a non-finite value where one is refused. */
export class NonFiniteError extends TapegradError {
  override name = 'NonFiniteError';
}
/** Storage that cannot be allocated: more elements than a tensor may hold, or memory the engine refused. */
export class AllocationError extends TapegradError {
  override name = 'AllocationError';
}
/**
 * Differentiating through a backward pass (higher-order gradients), which
 * this version does not record: raised instead of returning a silent zero.
 */
export class HigherOrderGradientError extends GraphError {
  override name = 'HigherOrderGradientError';
}
