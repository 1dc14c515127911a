/**
 * The optimizer base (torch.optim.Optimizer semantics): parameter groups with
 * their own hyper-parameters, per-parameter state, step() with a report,
 * zeroGrad, stateDict/loadStateDict and step hooks.
 *
 * Clipping has two scopes:
 * - a group's own `clip` sees that group's gradients only;
 * - the optimizer's `clip` (constructor option) is ONE transformation over
 *   every parameter of every group — one global norm, like
 *   `clip_grad_norm_(model.parameters())`, Keras `global_clipnorm` or an
 *   optax chain over the whole tree.
 * Order inside step(): non-finite policy → each group's own clip → the
 * optimizer's clip → the update rule (weight decay, momentum, ...). Every
 * check and every clip runs before any parameter or state changes, so a
 * step that throws leaves parameters, optimizer state and clip states as
 * they were.
 */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { NonFiniteError, TapegradError, Tensor as TensorClass, ValueError, checkOptions, describeValue, enableGrad, kernels, noGrad, optionalBoolean, optionalChoice, optionalNumber, requireFunction } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import { checkHyper, splitOptions } from './hyper.js';
import type { Json } from './json.js';
import { dataOf, tensorNorm } from './norms.js';
import type { ClipReport } from './report.js';
import type { StateSpec } from './optimizer-state.js';
import { readStateDict, writeStateDict } from './optimizer-state.js';
import type { GradientTransformation } from './transform.js';

/** What to do when a gradient holds NaN or ±Inf. */
export type NonFinitePolicy = 'error' | 'skip' | 'zero' | 'propagate';

/** Parameters as tensors, or as [name, tensor] pairs (module.namedParameters()) so reports carry names. */
export type ParamList = Iterable<Tensor> | Iterable<readonly [string, Tensor]>;

/** A parameter group as given to the constructor: params, overrides of any hyper-parameter, and a clip for this group only. */
export type ParamGroupInput<H> = Partial<H> & { params: ParamList; clip?: GradientTransformation | null };

/** A parameter group as the optimizer holds it. */
export interface ParamGroup<H> {
  params: Tensor[];
  /** Names for reports ("0", "1"... when none were given). */
  names: string[];
  /** This group's hyper-parameters; schedulers change `hyper.lr`. */
  hyper: H;
  /** The group's own clip (scope: this group), applied before the optimizer's clip. */
  clip: GradientTransformation | null;
  clipState: Json;
}

/** Options every optimizer shares. */
export interface OptimizerOptions {
  /**
   * One clip transformation over all parameters of all groups (one global
   * norm), applied after each group's own clip.
   */
  clip?: GradientTransformation | null;
  /** Non-finite gradients: 'propagate' (default, like PyTorch), 'error', 'skip' the step, or 'zero' the bad entries. */
  nonFinite?: NonFinitePolicy;
  /** With 'skip': raise after this many consecutive skipped steps (default 10). */
  maxConsecutiveSkips?: number;
  /** Measure gradient norms for the report even in groups without a clip (default true). */
  trackNorms?: boolean;
  /**
   * Keras 3's `weight_decay`, on any optimizer: before each update (after
   * clipping) every parameter with a gradient is decayed, θ ← θ − lr·λ·θ,
   * with its group's current lr. Decoupled from the gradient (Loshchilov &
   * Hutter 2019), unlike `weightDecay` on SGD/Adam/RMSprop/Adagrad, which is
   * PyTorch's L2 term added to the gradient. Default 0.
   */
  decoupledWeightDecay?: number;
  /**
   * Shadow clipping: rules evaluated at every step on a copy of the raw
   * gradients of all parameters — the same gradients the applied clips see —
   * and never applied. Their reports (`report.shadow`, scope 'shadow') show
   * what ZClip, or a norm clip at another threshold, *would* have done to
   * this very step, next to what the applied rule did. Each keeps its own
   * state (saved in the state dict), as if it were the one in charge of
   * clipping while seeing the unclipped trajectory.
   */
  shadow?: readonly GradientTransformation[];
}

/** What happened to one parameter's gradient at a step (all clips together). */
export interface ParamStepReport {
  name: string;
  normBefore: number;
  normAfter: number;
  /** Product of the factors the clips applied (NaN for elementwise rules). */
  scale: number;
  clipped: boolean;
}

/** What happened in one parameter group at a step. */
export interface GroupStepReport {
  group: number;
  lr: number;
  /** The group's own clip report (scope 'group'), null when the group has none. */
  clip: ClipReport | null;
  /** ‖g‖₂ of the group's raw gradients. */
  normBefore: number;
  /** ‖g‖₂ after every clip (the group's, then the optimizer's). */
  normAfter: number;
  /** Whether any clip changed a gradient of this group. */
  clipped: boolean;
  /** The group clip's threshold, or else the optimizer clip's; null without clips. */
  threshold: number | null;
  params: ParamStepReport[];
}

/** Returned by every step(). */
export interface StepReport {
  /** 1-based count of steps taken (skipped steps do not count). */
  step: number;
  skipped: boolean;
  consecutiveSkips: number;
  /** Non-finite gradient entries found (when the policy checks). */
  nonFiniteEntries: number;
  /** The closure's loss, when a closure was given. */
  loss?: number;
  /** ‖g‖₂ over all groups before any clip, and after all of them. */
  normBefore: number;
  normAfter: number;
  /** The optimizer-wide clip's report (scope 'optimizer'), null without one. */
  clip: ClipReport | null;
  /** With `shadow` rules: what each would have done to this step's raw gradients (scope 'shadow'), in order. */
  shadow?: ClipReport[];
  groups: GroupStepReport[];
}

/** Per-parameter optimizer state: buffers and counters. */
export type ParamState = Record<string, FloatArray | number>;

/** The JSON snapshot written by stateDict(); non-finite numbers are tagged `{ "$float": "NaN" }`. */
export interface OptimizerStateDict {
  [key: string]: Json;
  state: { [index: string]: { [key: string]: Json } };
  paramGroups: { [key: string]: Json }[];
  stepCount: number;
  consecutiveSkips: number;
}

/** Returned by the hook registrations; remove() detaches the hook. */
export interface RemovableHandle {
  remove(): void;
}

const GROUP_KEYS = ['params', 'clip'];
const NON_FINITE: readonly NonFinitePolicy[] = ['error', 'skip', 'zero', 'propagate'];

function isNamed(x: unknown): x is readonly [string, Tensor] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string';
}

function checkClip(fn: string, where: string, clip: unknown): GradientTransformation | null {
  if (clip === undefined || clip === null) return null;
  const t = clip as Partial<GradientTransformation>;
  if (typeof clip !== 'object' || typeof t.init !== 'function' || typeof t.update !== 'function' || typeof t.name !== 'string') {
    throw new ValueError(fn, `${where} must be a gradient transformation such as clipByGlobalNorm(1) (an object with name, init and update), got ${describeValue(clip)}`);
  }
  return clip as GradientTransformation;
}

/** Base of every optimizer; see the file comment for the scopes of clipping and the order of operations in step(). */
export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  readonly defaults: H;
  /** The optimizer's name in error messages ('SGD', 'Adam', ...). */
  readonly kind: string;
  /** The optimizer-wide clip (scope: every parameter of every group); change it with setClip. */
  get clip(): GradientTransformation | null {
    return this.appliedClip;
  }
  private appliedClip: GradientTransformation | null;
  clipState: Json = null;
  nonFinite: NonFinitePolicy;
  maxConsecutiveSkips: number;
  trackNorms: boolean;
  /** Rules evaluated on a copy of the raw gradients and reported, never applied (see OptimizerOptions.shadow). */
  readonly shadow: readonly GradientTransformation[];
  shadowStates: Json[] = [];
  /** Keras 3's decoupled weight decay λ (0: off); see OptimizerOptions.decoupledWeightDecay. */
  readonly decoupledWeightDecay: number;
  stepCount = 0;
  consecutiveSkips = 0;
  private readonly preHooks: ((opt: this) => void)[] = [];
  private readonly postHooks: ((opt: this, report: StepReport) => void)[] = [];
  private readonly hyperSpec: HyperSpec<H>;

  protected constructor(kind: string, params: ParamList | readonly ParamGroupInput<H>[], defaults: H, options: unknown, spec: HyperSpec<H>) {
    this.kind = kind;
    this.hyperSpec = spec;
    const [hyper, shared] = splitOptions<H>(kind, options, spec);
    this.defaults = { ...defaults, ...hyper };
    checkHyper(kind, this.defaults, spec);
    this.appliedClip = checkClip(kind, 'clip', shared.clip);
    this.nonFinite = optionalChoice(kind, 'nonFinite', shared.nonFinite, NON_FINITE, 'propagate');
    this.maxConsecutiveSkips = optionalNumber(kind, 'maxConsecutiveSkips', shared.maxConsecutiveSkips, 10, { integer: true, min: 0 });
    this.trackNorms = optionalBoolean(kind, 'trackNorms', shared.trackNorms, true);
    this.decoupledWeightDecay = optionalNumber(kind, 'decoupledWeightDecay', shared.decoupledWeightDecay, 0, { min: 0 });
    if (shared.shadow !== undefined && !Array.isArray(shared.shadow)) throw new ValueError(kind, `shadow must be a list of gradient transformations, got ${describeValue(shared.shadow)}`);
    this.shadow = ((shared.shadow ?? []) as unknown[]).map((s, i) => checkClip(kind, `shadow[${i}]`, s)!);
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) throw new ValueError(kind, `params must be a list of tensors, [name, tensor] pairs or parameter groups, got ${describeValue(params)}`);
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new ValueError(kind, 'got an empty parameter list');
    const isGroup = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof TensorClass) && 'params' in x;
    const groups = isGroup(list[0]) ? (list as ParamGroupInput<H>[]) : [{ params: list as ParamList } as ParamGroupInput<H>];
    for (const g of groups) this.addParamGroup(g);
    if (this.clip) this.clipState = this.clip.init(this.allParams());
    this.shadowStates = this.shadow.map((s) => s.init(this.allParams()));
  }

  /** Cross-field checks beyond the schema (e.g. nesterov needs momentum); throws ValueError. */
  protected validate(_hyper: H): void {}
  /** Which state entries a parameter has under `hyper` (checked by loadStateDict). */
  protected abstract stateSpec(hyper: H): StateSpec;
  /** Creates the state of one parameter on its first step. */
  protected abstract initState(p: Tensor, hyper: H): ParamState;
  /** Applies the update rule to one parameter with its (clipped) gradient. */
  protected abstract updateParam(p: FloatArray, grad: FloatArray, state: ParamState, hyper: H): void;

  /** Every parameter of every group, in group order. */
  allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }
  /** Every parameter's name, in the order of allParams(). */
  allNames(): string[] {
    return this.paramGroups.flatMap((g) => g.names);
  }

  /** Adds a group; a parameter may appear only once in the whole optimizer. Validated fully before anything changes. */
  addParamGroup(input: ParamGroupInput<H>): void {
    const fn = this.kind;
    if (input === null || typeof input !== 'object' || !('params' in input)) throw new ValueError(fn, `a parameter group must be an object with params, got ${describeValue(input)}`);
    checkOptions(fn, input, [...GROUP_KEYS, ...Object.keys(this.hyperSpec)]);
    const { params: list, clip, ...overrides } = input;
    if (list === null || typeof list !== 'object' || !(Symbol.iterator in list)) throw new ValueError(fn, `params must be a list of tensors or [name, tensor] pairs, got ${describeValue(list)}`);
    const offset = this.paramGroups.reduce((n, g) => n + g.params.length, 0);
    const params: Tensor[] = [];
    const names: string[] = [];
    for (const item of list as Iterable<unknown>) {
      const [name, p] = isNamed(item) ? item : [String(offset + params.length), item];
      if (!(p instanceof TensorClass)) throw new ValueError(fn, `parameter ${name} must be a Tensor, got ${describeValue(p)}`);
      if (p.dtype === 'int32') throw new ValueError(fn, `parameter ${name} is int32; only float tensors can be optimized`);
      if (!p.isLeaf) throw new ValueError(fn, `can't optimize a non-leaf tensor (parameter ${name})`);
      const here = params.indexOf(p);
      if (here >= 0) throw new ValueError(fn, `parameter ${name} appears twice in the same group (also as ${names[here]}); each parameter may be given once`);
      this.paramGroups.forEach((g, gi) => {
        const j = g.params.indexOf(p);
        if (j >= 0) throw new ValueError(fn, `parameter ${name} is already in parameter group ${gi} (as ${g.names[j]}); each parameter may be given once`);
      });
      params.push(p);
      names.push(name);
    }
    if (params.length === 0) throw new ValueError(fn, 'a parameter group needs at least one parameter');
    const hyper = { ...this.defaults, ...(overrides as unknown as Partial<H>) } as H;
    checkHyper(`${fn} (parameter group ${this.paramGroups.length})`, hyper, this.hyperSpec);
    this.validate(hyper);
    const groupClip = checkClip(fn, `the clip of parameter group ${this.paramGroups.length}`, clip);
    this.paramGroups.push({ params, names, hyper, clip: groupClip, clipState: groupClip ? groupClip.init(params) : null });
  }

  /**
   * Clears gradients: set to null (default, like PyTorch 2) or zero them in
   * place. Zeroing keeps each gradient's storage across steps; on the
   * WebAssembly backend it moves that storage once into WebAssembly memory,
   * where clipping's norm and scaling passes run in place on all threads.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    checkOptions(`${this.kind}.zeroGrad`, options, ['setToNone']);
    const setToNone = optionalBoolean(`${this.kind}.zeroGrad`, 'setToNone', options.setToNone, true);
    for (const g of this.paramGroups)
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else p.grad.data = kernels.zeroKept(p.grad.data as FloatArray);
      }
  }

  /** Runs `hook(optimizer)` before every step; returns a handle to remove it. */
  registerStepPreHook(hook: (opt: this) => void): RemovableHandle {
    requireFunction(`${this.kind}.registerStepPreHook`, 'hook', hook);
    this.preHooks.push(hook);
    return { remove: () => void this.preHooks.splice(this.preHooks.indexOf(hook) >>> 0, 1) };
  }
  /** Runs `hook(optimizer, report)` after every step (skipped ones included). */
  registerStepPostHook(hook: (opt: this, report: StepReport) => void): RemovableHandle {
    requireFunction(`${this.kind}.registerStepPostHook`, 'hook', hook);
    this.postHooks.push(hook);
    return { remove: () => void this.postHooks.splice(this.postHooks.indexOf(hook) >>> 0, 1) };
  }

  /** Counts NaN/Inf gradient entries, zeroing them when `zero` is set. */
  private scanNonFinite(zero: boolean): { count: number; where: string[] } {
    let count = 0;
    const where: string[] = [];
    for (const g of this.paramGroups)
      g.params.forEach((p, i) => {
        if (!p.grad) return;
        const d = dataOf(p.grad);
        let here = 0;
        for (let k = 0; k < d.length; k++) {
          const v = d[k]!;
          if (v - v !== 0) {
            here++;
            if (zero) d[k] = 0;
          }
        }
        if (here > 0) where.push(`${g.names[i]} (${here} of ${d.length})`);
        count += here;
      });
    return { count, where };
  }

  /** Every gradient must match its parameter (checked before anything changes). */
  private checkGrads(): void {
    for (const g of this.paramGroups)
      g.params.forEach((p, i) => {
        const gr = p.grad;
        if (gr === null) return;
        if (!(gr instanceof TensorClass)) throw new TapegradError(`${this.kind}.step`, `the .grad of ${g.names[i]} is not a Tensor (${describeValue(gr)})`);
        if (gr.size !== p.size || gr.dtype !== p.dtype) throw new TapegradError(`${this.kind}.step`, `gradient of ${g.names[i]} has ${gr.dtype} ${gr.size} elements but the parameter is ${p.dtype} with ${p.size}`);
      });
    for (const g of this.paramGroups) this.validate(g.hyper);
    this.paramGroups.forEach((g, gi) => checkHyper(`${this.kind}.step (parameter group ${gi})`, g.hyper, this.hyperSpec));
  }

  /**
   * One optimization step. The argument (optional) is a closure that
   * re-evaluates the model and returns the loss (PyTorch), or the loss itself
   * (a one-element tensor or a number), recorded in the report so that
   * monitors and CSV exports carry it. Returns what happened: per group and parameter the
   * gradient norm before and after clipping, the scale, the threshold, the
   * optimizer-wide clip's report, and whether the step was skipped.
   */
  step(closureOrLoss?: (() => Tensor | number) | Tensor | number): StepReport {
    let closure: (() => Tensor | number) | undefined;
    let loss: number | undefined;
    if (typeof closureOrLoss === 'function') closure = closureOrLoss;
    else if (closureOrLoss instanceof TensorClass) {
      if (closureOrLoss.size !== 1) throw new ValueError(`${this.kind}.step`, `a loss passed to step() must have one element, got shape [${closureOrLoss.shape.join(', ')}]`);
      loss = closureOrLoss.item();
    } else if (typeof closureOrLoss === 'number') loss = closureOrLoss;
    else if (closureOrLoss !== undefined) requireFunction(`${this.kind}.step`, 'closure', closureOrLoss);
    for (const h of this.preHooks) h(this);
    if (closure) {
      const l = enableGrad(closure);
      loss = typeof l === 'number' ? l : l.item();
    }
    this.checkGrads();
    let nonFiniteEntries = 0;
    if (this.nonFinite !== 'propagate') {
      const { count, where } = this.scanNonFinite(false);
      nonFiniteEntries = count;
      if (count > 0 && this.nonFinite === 'error') throw new NonFiniteError(`${this.kind}.step`, `non-finite gradient in ${where.join(', ')}; parameters and state are unchanged`);
      if (count > 0 && this.nonFinite === 'skip') {
        this.consecutiveSkips++;
        if (this.consecutiveSkips > this.maxConsecutiveSkips) throw new NonFiniteError(`${this.kind}.step`, `${this.consecutiveSkips} consecutive steps skipped for non-finite gradients (limit ${this.maxConsecutiveSkips}); last in ${where.join(', ')}`);
        const report: StepReport = { step: this.stepCount, skipped: true, consecutiveSkips: this.consecutiveSkips, nonFiniteEntries: count, ...(loss !== undefined ? { loss } : {}), normBefore: NaN, normAfter: NaN, clip: null, groups: [] };
        for (const h of this.postHooks) h(this, report);
        return report;
      }
      if (count > 0) this.scanNonFinite(true);
    }
    const { groups, clip, shadow } = this.clipAll();
    noGrad(() => {
      for (const g of this.paramGroups)
        for (const p of g.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) {
            st = this.initState(p, g.hyper);
            this.state.set(p, st);
          }
          if (this.decoupledWeightDecay !== 0) {
            const d = dataOf(p);
            const decay = 1 - g.hyper.lr * this.decoupledWeightDecay;
            for (let i = 0; i < d.length; i++) d[i] *= decay;
          }
          this.updateParam(dataOf(p), dataOf(p.grad), st, g.hyper);
        }
    });
    this.stepCount++;
    this.consecutiveSkips = 0;
    const total = (key: 'normBefore' | 'normAfter') => Math.sqrt(groups.reduce((s, g) => s + g[key] * g[key], 0));
    const report: StepReport = { step: this.stepCount, skipped: false, consecutiveSkips: 0, nonFiniteEntries, ...(loss !== undefined ? { loss } : {}), normBefore: total('normBefore'), normAfter: total('normAfter'), clip, ...(shadow ? { shadow } : {}), groups };
    for (const h of this.postHooks) h(this, report);
    return report;
  }

  /**
   * Runs the group clips, then the optimizer clip, and builds the reports.
   * New clip states are committed only when every clip has succeeded.
   */
  private clipAll(): { groups: GroupStepReport[]; clip: ClipReport | null; shadow: ClipReport[] | null } {
    const norm = (t: Tensor | null) => (t && this.trackNorms ? tensorNorm(dataOf(t), 2) : NaN);
    // Shadows first, on their own copies of the raw gradients: they see what the applied clips see, and change nothing.
    const shadowResults = this.shadow.map((s, i) => {
      const params = this.allParams();
      const copies = params.map((p) => (p.grad ? new TensorClass(dataOf(p.grad).slice(), p.grad.shape) : null));
      return s.update(copies, this.shadowStates[i] ?? s.init(params), params, this.allNames());
    });
    const raw = this.paramGroups.map((g) => g.params.map((p) => norm(p.grad)));
    const groupResults = this.paramGroups.map((g) => {
      if (!g.clip) return null;
      const r = g.clip.update(g.params.map((p) => p.grad), g.clipState, g.params, g.names);
      g.params.forEach((p, i) => {
        const ng = r.grads[i];
        if (ng && ng !== p.grad) p.grad = ng;
      });
      return r;
    });
    let globalResult: ReturnType<GradientTransformation['update']> | null = null;
    if (this.clip) {
      const params = this.allParams();
      globalResult = this.clip.update(params.map((p) => p.grad), this.clipState, params, this.allNames());
      params.forEach((p, i) => {
        const ng = globalResult!.grads[i];
        if (ng && ng !== p.grad) p.grad = ng;
      });
    }
    // Every clip succeeded: commit their states.
    this.paramGroups.forEach((g, gi) => {
      if (groupResults[gi]) g.clipState = groupResults[gi]!.state;
    });
    if (globalResult) this.clipState = globalResult.state;
    shadowResults.forEach((r, i) => (this.shadowStates[i] = r.state));
    const globalReport = globalResult ? { ...globalResult.report, scope: 'optimizer' as const } : null;
    let offset = 0;
    const groups = this.paramGroups.map((g, gi): GroupStepReport => {
      const gr = groupResults[gi]?.report ?? null;
      const params: ParamStepReport[] = [];
      let sqBefore = 0, sqAfter = 0;
      g.params.forEach((p, i) => {
        if (!p.grad) return;
        const local = gr?.tensors.find((t) => t.index === i);
        const wide = globalReport?.tensors.find((t) => t.index === offset + i);
        const before = raw[gi]![i]!;
        const after = wide ? wide.normAfter : local ? local.normAfter : before;
        sqBefore += before * before;
        sqAfter += after * after;
        params.push({ name: g.names[i]!, normBefore: before, normAfter: after, scale: (local?.scale ?? 1) * (wide?.scale ?? 1), clipped: Boolean(local?.clipped || wide?.clipped) });
      });
      offset += g.params.length;
      return {
        group: gi,
        lr: g.hyper.lr,
        clip: gr ? { ...gr, scope: 'group' } : null,
        normBefore: Math.sqrt(sqBefore),
        normAfter: Math.sqrt(sqAfter),
        clipped: params.some((p) => p.clipped),
        threshold: gr?.threshold ?? globalReport?.threshold ?? null,
        params,
      };
    });
    return { groups, clip: globalReport, shadow: shadowResults.length ? shadowResults.map((r) => ({ ...r.report, scope: 'shadow' as const })) : null };
  }

  /**
   * Replaces the optimizer-wide clip from the next step on (null removes it),
   * e.g. to switch rules mid-run. The new rule starts from its initial state;
   * parameters, optimizer state and the shadows are untouched.
   */
  setClip(clip: GradientTransformation | null): this {
    const checked = checkClip(`${this.kind}.setClip`, 'clip', clip);
    this.appliedClip = checked;
    this.clipState = checked ? checked.init(this.allParams()) : null;
    return this;
  }

  /** A JSON-serializable snapshot: per-parameter state (by global index), group hyper-parameters, clip states; NaN/±Inf kept. */
  stateDict(): OptimizerStateDict {
    return writeStateDict(this);
  }

  /**
   * Restores a snapshot from stateDict(). Everything is validated first —
   * group and parameter counts, every hyper-parameter against this
   * optimizer's schema, every buffer's presence, dtype, length and values,
   * counters, clip states — and on any problem it throws a ValueError naming
   * the entry and leaves the optimizer unchanged.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const loaded = readStateDict(this, sd, this.hyperSpec, (h) => this.stateSpec(h), (h) => this.validate(h));
    this.state.clear();
    for (const [p, st] of loaded.state) this.state.set(p, st);
    loaded.groups.forEach((lg, gi) => {
      const g = this.paramGroups[gi]!;
      g.hyper = lg.hyper;
      if (g.clip) g.clipState = lg.clipState === undefined ? g.clip.init(g.params) : lg.clipState;
    });
    if (this.clip) this.clipState = loaded.clipState === undefined ? this.clip.init(this.allParams()) : loaded.clipState;
    this.shadowStates = this.shadow.map((s, i) => loaded.shadowStates?.[i] ?? s.init(this.allParams()));
    this.stepCount = loaded.stepCount;
    this.consecutiveSkips = loaded.consecutiveSkips;
  }
}
