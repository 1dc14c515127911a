/**
 * @tapegrad/optim/testing — property-based checks for gradient
 * transformations you write yourself. Needs the optional peer dependency
 * fast-check.
 */
export { checkClipInvariants, CLIP_INVARIANTS } from './invariants.js';
export type { ClipInvariant, ClipInvariantReport, CheckClipOptions, InvariantOutcome } from './invariants.js';
