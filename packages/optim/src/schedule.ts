/**
 * Learning-rate schedules with torch.optim.lr_scheduler semantics: a
 * scheduler sets every group's lr from its initial lr at construction (epoch
 * 0) and on each step() (epoch + 1). Closed forms are used, so any epoch can
 * be computed directly.
 */
import { ValueError, checkOptions, describeValue, optionalChoice, optionalNumber, requireFunction, requireNumber } from '@tapegrad/autograd';

/** What a scheduler needs from an optimizer: its groups' learning rates. */
export interface HasParamGroups {
  paramGroups: { hyper: { lr: number } }[];
}

/** Base of the epoch-indexed schedules: lr = lrAt(epoch, base lr) per group. */
export abstract class LRScheduler<O = unknown> {
  /** Each group's initial lr. */
  readonly baseLrs: number[];
  lastEpoch = 0;
  /** Options are stored here, before the first lr is set, so lrAt can read them during construction. */
  constructor(
    readonly optimizer: HasParamGroups,
    readonly options: O,
  ) {
    checkOptimizer(new.target.name, optimizer);
    this.baseLrs = optimizer.paramGroups.map((g) => g.hyper.lr);
    this.apply();
  }
  /** The lr of a group with initial lr `base` at `epoch`. */
  abstract lrAt(epoch: number, base: number): number;
  /** Advances one epoch (or step) and sets the new lrs. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }
  /** The lrs in force. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.hyper.lr);
  }
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.hyper.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!)));
  }
  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }
  loadStateDict(sd: { lastEpoch: number; baseLrs: number[] }): void {
    const fn = 'LRScheduler.loadStateDict';
    checkOptions(fn, sd, ['lastEpoch', 'baseLrs']);
    if (sd === undefined) throw new ValueError(fn, 'expected a state dict from stateDict()');
    requireNumber(fn, 'lastEpoch', sd.lastEpoch, { integer: true, min: 0 });
    if (!Array.isArray(sd.baseLrs)) throw new ValueError(fn, `baseLrs must be an array, got ${describeValue(sd.baseLrs)}`);
    sd.baseLrs.forEach((b, i) => requireNumber(fn, `baseLrs[${i}]`, b, { min: 0 }));
    if (sd.baseLrs.length !== this.baseLrs.length) throw new ValueError(fn, `${sd.baseLrs.length} base lrs for ${this.baseLrs.length} groups`);
    this.lastEpoch = sd.lastEpoch;
    sd.baseLrs.forEach((b, i) => (this.baseLrs[i] = b));
    this.apply();
  }
}

/** Schedulers change `hyper.lr` of every group: the optimizer must have them. */
function checkOptimizer(fn: string, optimizer: unknown): void {
  const groups = (optimizer as HasParamGroups | null)?.paramGroups;
  if (!Array.isArray(groups) || groups.some((g) => typeof g?.hyper?.lr !== 'number')) throw new ValueError(fn, `optimizer must be an Optimizer (with paramGroups), got ${describeValue(optimizer)}`);
}

/** Validates a scheduler's options object (present, known keys only). */
function schedulerOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined || options === null) throw new ValueError(fn, `needs an options object with ${known.join(', ')}`);
  checkOptions(fn, options, known);
}

/** lr = base · γ^⌊epoch / stepSize⌋ (StepLR; γ = 0.1 by default). */
export class StepLR extends LRScheduler<{ stepSize: number; gamma?: number }> {
  constructor(optimizer: HasParamGroups, options: { stepSize: number; gamma?: number }) {
    schedulerOptions('StepLR', options, ['stepSize', 'gamma']);
    requireNumber('StepLR', 'stepSize', options.stepSize, { integer: true, min: 1 });
    const gamma = optionalNumber('StepLR', 'gamma', options.gamma, 0.1, { min: 0 });
    super(optimizer, { stepSize: options.stepSize, gamma });
  }
  lrAt(epoch: number, base: number): number {
    return base * Math.pow(this.options.gamma ?? 0.1, Math.floor(epoch / this.options.stepSize));
  }
}

/** lr = base · γ^epoch (ExponentialLR; γ is required, as in PyTorch). */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  constructor(optimizer: HasParamGroups, options: { gamma: number }) {
    schedulerOptions('ExponentialLR', options, ['gamma']);
    requireNumber('ExponentialLR', 'gamma', options.gamma, { min: 0 });
    super(optimizer, { gamma: options.gamma });
  }
  lrAt(epoch: number, base: number): number {
    return base * Math.pow(this.options.gamma, epoch);
  }
}

/** lr = η_min + (base − η_min)(1 + cos(π·epoch/T_max))/2 (CosineAnnealingLR; Loshchilov & Hutter 2017, without restarts). */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin?: number }> {
  constructor(optimizer: HasParamGroups, options: { tMax: number; etaMin?: number }) {
    schedulerOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    requireNumber('CosineAnnealingLR', 'tMax', options.tMax, { min: 0, minExclusive: true });
    const etaMin = optionalNumber('CosineAnnealingLR', 'etaMin', options.etaMin, 0, { min: 0 });
    super(optimizer, { tMax: options.tMax, etaMin });
  }
  lrAt(epoch: number, base: number): number {
    const etaMin = this.options.etaMin ?? 0;
    return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / this.options.tMax))) / 2;
  }
}

/**
 * Linear warm-up from startFactor·base to base over `warmupSteps`, then the
 * `after` schedule (if any) with its epoch counted from the end of warm-up:
 *   epoch < W: lr = base·(s + (1 − s)·epoch/W);  else lr = after.lrAt(epoch − W, base)
 * (torch's LinearLR followed by another scheduler via SequentialLR.)
 */
export interface LinearWarmupOptions {
  warmupSteps: number;
  /** Fraction of the base lr at epoch 0 (default 1/warmupSteps). */
  startFactor?: number;
  /** The schedule that follows warm-up, built on the optimizer's groups. */
  after?: (optimizer: HasParamGroups) => LRScheduler;
}

/** Linear warm-up, then another schedule (see LinearWarmupOptions). */
export class LinearWarmup extends LRScheduler<LinearWarmupOptions> {
  constructor(optimizer: HasParamGroups, options: LinearWarmupOptions) {
    schedulerOptions('LinearWarmup', options, ['warmupSteps', 'startFactor', 'after']);
    requireNumber('LinearWarmup', 'warmupSteps', options.warmupSteps, { integer: true, min: 1 });
    if (options.startFactor !== undefined) requireNumber('LinearWarmup', 'startFactor', options.startFactor, { min: 0, max: 1 });
    if (options.after !== undefined) requireFunction('LinearWarmup', 'after', options.after);
    super(optimizer, options);
  }
  private inner?: LRScheduler | null;
  lrAt(epoch: number, base: number): number {
    const W = this.options.warmupSteps;
    const s = this.options.startFactor ?? 1 / W;
    if (epoch < W) return base * (s + ((1 - s) * epoch) / W);
    if (this.inner === undefined) {
      // Built lazily on a view of the groups so that its own constructor does not move the real lrs.
      const shadow = { paramGroups: this.baseLrs.map((lr) => ({ hyper: { lr } })) };
      this.inner = this.options.after ? this.options.after(shadow) : null;
    }
    return this.inner ? this.inner.lrAt(epoch - W, base) : base;
  }
}

/**
 * Reduces lr by `factor` when a metric stops improving for `patience` epochs
 * (torch ReduceLROnPlateau: mode 'min', factor 0.1, patience 10, threshold 1e-4
 * relative, cooldown 0, minLr 0, eps 1e-8). Call step(metric) once per epoch.
 */
export class ReduceLROnPlateau {
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  constructor(readonly optimizer: HasParamGroups, options: { mode?: 'min' | 'max'; factor?: number; patience?: number; threshold?: number; thresholdMode?: 'rel' | 'abs'; cooldown?: number; minLr?: number; eps?: number } = {}) {
    const fn = 'ReduceLROnPlateau';
    checkOptimizer(fn, optimizer);
    checkOptions(fn, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    this.mode = optionalChoice(fn, 'mode', options.mode, ['min', 'max'], 'min');
    this.factor = optionalNumber(fn, 'factor', options.factor, 0.1, { min: 0, max: 1, maxExclusive: true });
    this.patience = optionalNumber(fn, 'patience', options.patience, 10, { integer: true, min: 0 });
    this.threshold = optionalNumber(fn, 'threshold', options.threshold, 1e-4, { min: 0 });
    this.thresholdMode = optionalChoice(fn, 'thresholdMode', options.thresholdMode, ['rel', 'abs'], 'rel');
    this.cooldown = optionalNumber(fn, 'cooldown', options.cooldown, 0, { integer: true, min: 0 });
    this.minLr = optionalNumber(fn, 'minLr', options.minLr, 0, { min: 0 });
    this.eps = optionalNumber(fn, 'eps', options.eps, 1e-8, { min: 0 });
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold, best } = this;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }
  step(metric: number): void {
    requireNumber('ReduceLROnPlateau.step', 'metric', metric, { infinite: true });
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      for (const g of this.optimizer.paramGroups) {
        const newLr = Math.max(g.hyper.lr * this.factor, this.minLr);
        if (g.hyper.lr - newLr > this.eps) g.hyper.lr = newLr;
      }
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.hyper.lr);
  }
}
