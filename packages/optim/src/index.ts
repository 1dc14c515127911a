/**
 * @tapegrad/optim — PyTorch-faithful optimizers and gradient clipping as
 * composable, observable transformations. Works on any list of tensors with
 * gradients; it does not depend on @tapegrad/nn.
 */
export type { Json } from './json.js';
export type { ClipReport, TensorClipReport } from './report.js';
export type { HyperRule, HyperSpec } from './hyper.js';
export type { StateSpec } from './optimizer-state.js';
export type { AgcExclude, AgcOptions } from './clip/agc.js';
export type { GradientTransformation, TransformResult } from './transform.js';
export { chain, identity, applyTransform, splitNamed, passThroughReport } from './transform.js';
export { clipByGlobalNorm, normalizeGradient } from './clip/global-norm.js';
export type { GlobalNormOptions } from './clip/global-norm.js';
export { clipByNorm } from './clip/per-tensor.js';
export { clipByValue } from './clip/value.js';
export { adaptiveGradClip } from './clip/agc.js';
export { autoClip, zClip, percentile } from './clip/adaptive.js';
export type { AutoClipState, ZClipState } from './clip/adaptive.js';
export { clipGradNorm_, clipGradsWithNorm_, clipGradValue_, getTotalNorm } from './functional.js';
export { Optimizer } from './optimizer.js';
export type { RemovableHandle, NonFinitePolicy, OptimizerOptions, ParamGroup, ParamGroupInput, ParamList, StepReport, GroupStepReport, ParamStepReport, OptimizerStateDict, ParamState } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDHyper } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamHyper } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropHyper } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradHyper } from './adagrad.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau } from './schedule.js';
export type { HasParamGroups, LinearWarmupOptions } from './schedule.js';
export { GradientMonitor } from './monitor.js';
export type { MonitorRow, MonitorSummary, MonitorOptions, Observable } from './monitor.js';
export { GradientAccumulator } from './accumulate.js';
export type { Steppable } from './accumulate.js';
