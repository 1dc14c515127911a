/**
 * The optimizer base (torch.optim.Optimizer semantics): parameter groups with
 * their own hyper-parameters and their own clip transformation, per-parameter
 * state, step() with a report, zeroGrad, stateDict/loadStateDict and step hooks.
 *
 * Order inside step(): non-finite policy → each group's clip on the raw
 * (accumulated) gradient → the update rule (weight decay, momentum, ...).
 */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { NonFiniteError, TapegradError, ValueError, enableGrad, noGrad } from '@tapegrad/autograd';
import type { Json } from './json.js';
import { dataOf, tensorNorm } from './norms.js';
import type { ClipReport } from './report.js';
import type { GradientTransformation } from './transform.js';

/** What to do when a gradient holds NaN or ±Inf. */
export type NonFinitePolicy = 'error' | 'skip' | 'zero' | 'propagate';

/** Parameters as tensors, or as [name, tensor] pairs (module.namedParameters()) so reports carry names. */
export type ParamList = Iterable<Tensor> | Iterable<readonly [string, Tensor]>;

/** A parameter group as given to the constructor: params plus overrides of any hyper-parameter and the clip. */
export type ParamGroupInput<H> = Partial<H> & { params: ParamList; clip?: GradientTransformation | null };

/** A parameter group as the optimizer holds it. */
export interface ParamGroup<H> {
  params: Tensor[];
  /** Names for reports ("0", "1"... when none were given). */
  names: string[];
  /** This group's hyper-parameters; schedulers change `hyper.lr`. */
  hyper: H;
  clip: GradientTransformation | null;
  clipState: Json;
}

/** Options every optimizer shares. */
export interface OptimizerOptions {
  /** The default clip transformation for every group (a group may override it). */
  clip?: GradientTransformation | null;
  /** Non-finite gradients: 'propagate' (default, like PyTorch), 'error', 'skip' the step, or 'zero' the bad entries. */
  nonFinite?: NonFinitePolicy;
  /** With 'skip': raise after this many consecutive skipped steps (default 10). */
  maxConsecutiveSkips?: number;
  /** Measure gradient norms for the report even in groups without a clip (default true). */
  trackNorms?: boolean;
}

/** What happened to one parameter's gradient at a step. */
export interface ParamStepReport {
  name: string;
  normBefore: number;
  normAfter: number;
  scale: number;
  clipped: boolean;
}

/** What happened in one parameter group at a step. */
export interface GroupStepReport {
  group: number;
  lr: number;
  /** The clip's own report (null when the group has no clip). */
  clip: ClipReport | null;
  normBefore: number;
  normAfter: number;
  clipped: boolean;
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
  groups: GroupStepReport[];
}

/** Per-parameter optimizer state: buffers and counters. */
export type ParamState = Record<string, FloatArray | number>;

/** The JSON snapshot written by stateDict(). */
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

function isNamed(x: unknown): x is readonly [string, Tensor] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string';
}

function readParams(list: ParamList, offset: number): { params: Tensor[]; names: string[] } {
  const params: Tensor[] = [];
  const names: string[] = [];
  for (const item of list as Iterable<unknown>) {
    if (isNamed(item)) {
      names.push(item[0]);
      params.push(item[1]);
    } else {
      names.push(String(offset + params.length));
      params.push(item as Tensor);
    }
  }
  return { params, names };
}

/** Base of every optimizer; see the file comment for the order of operations in step(). */
export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  readonly defaults: H;
  nonFinite: NonFinitePolicy;
  maxConsecutiveSkips: number;
  trackNorms: boolean;
  stepCount = 0;
  consecutiveSkips = 0;
  private readonly preHooks: ((opt: this) => void)[] = [];
  private readonly postHooks: ((opt: this, report: StepReport) => void)[] = [];
  private readonly defaultClip: GradientTransformation | null;
  /** Name used in error messages. */
  protected abstract readonly kind: string;

  protected constructor(params: ParamList | readonly ParamGroupInput<H>[], defaults: H, options: OptimizerOptions) {
    this.defaults = defaults;
    this.defaultClip = options.clip ?? null;
    this.nonFinite = options.nonFinite ?? 'propagate';
    this.maxConsecutiveSkips = options.maxConsecutiveSkips ?? 10;
    this.trackNorms = options.trackNorms ?? true;
    if (!['error', 'skip', 'zero', 'propagate'].includes(this.nonFinite)) throw new ValueError('Optimizer', `nonFinite must be 'error', 'skip', 'zero' or 'propagate', got '${String(this.nonFinite)}'`);
    const list = [...(params as Iterable<unknown>)];
    const groups = list.length > 0 && typeof list[0] === 'object' && list[0] !== null && !Array.isArray(list[0]) && 'params' in (list[0] as object) ? (list as ParamGroupInput<H>[]) : [{ params: list as ParamList } as ParamGroupInput<H>];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Validates hyper-parameters (PyTorch's constructor checks); throws ValueError. */
  protected abstract validate(hyper: H): void;
  /** Creates the state of one parameter on its first step. */
  protected abstract initState(p: Tensor, hyper: H): ParamState;
  /** Applies the update rule to one parameter with its (clipped) gradient. */
  protected abstract updateParam(p: FloatArray, grad: FloatArray, state: ParamState, hyper: H): void;

  /** Adds a group; its params must not already be in another group. */
  addParamGroup(input: ParamGroupInput<H>): void {
    const { params: list, clip, ...overrides } = input;
    const offset = this.paramGroups.reduce((n, g) => n + g.params.length, 0);
    const { params, names } = readParams(list, offset);
    if (params.length === 0) throw new ValueError(this.kind, 'a parameter group needs at least one parameter');
    for (const p of params) {
      if (!p || typeof p !== 'object' || !('data' in p)) throw new ValueError(this.kind, 'parameters must be Tensors');
      if (p.dtype === 'int32') throw new ValueError(this.kind, 'int32 tensors cannot be optimized');
      if (!p.isLeaf) throw new ValueError(this.kind, "can't optimize a non-leaf tensor");
      if (this.paramGroups.some((g) => g.params.includes(p))) throw new ValueError(this.kind, 'some parameters appear in more than one parameter group');
    }
    const hyper = { ...this.defaults, ...(overrides as unknown as Partial<H>) } as H;
    this.validate(hyper);
    const groupClip = clip === undefined ? this.defaultClip : clip;
    this.paramGroups.push({ params, names, hyper, clip: groupClip, clipState: groupClip ? groupClip.init(params) : null });
  }

  /** Clears gradients: set to null (default, like PyTorch 2) or zero them in place. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const g of this.paramGroups)
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else p.grad.data.fill(0);
      }
  }

  /** Runs `hook(optimizer)` before every step; returns a handle to remove it. */
  registerStepPreHook(hook: (opt: this) => void): RemovableHandle {
    this.preHooks.push(hook);
    return { remove: () => void this.preHooks.splice(this.preHooks.indexOf(hook) >>> 0, 1) };
  }
  /** Runs `hook(optimizer, report)` after every step (skipped ones included). */
  registerStepPostHook(hook: (opt: this, report: StepReport) => void): RemovableHandle {
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

  /**
   * One optimization step. `closure` (optional) re-evaluates the model and
   * returns the loss. Returns what happened: per group and parameter the
   * gradient norm before and after clipping, the scale, the threshold, and
   * whether the step was skipped.
   */
  step(closure?: () => Tensor | number): StepReport {
    for (const h of this.preHooks) h(this);
    let loss: number | undefined;
    if (closure) {
      const l = enableGrad(closure);
      loss = typeof l === 'number' ? l : l.item();
    }
    let nonFiniteEntries = 0;
    if (this.nonFinite !== 'propagate') {
      const { count, where } = this.scanNonFinite(this.nonFinite === 'zero');
      nonFiniteEntries = count;
      if (count > 0 && this.nonFinite === 'error') throw new NonFiniteError(`${this.kind}.step`, `non-finite gradient in ${where.join(', ')}; parameters and state are unchanged`);
      if (count > 0 && this.nonFinite === 'skip') {
        this.consecutiveSkips++;
        if (this.consecutiveSkips > this.maxConsecutiveSkips) throw new NonFiniteError(`${this.kind}.step`, `${this.consecutiveSkips} consecutive steps skipped for non-finite gradients (limit ${this.maxConsecutiveSkips}); last in ${where.join(', ')}`);
        const report: StepReport = { step: this.stepCount, skipped: true, consecutiveSkips: this.consecutiveSkips, nonFiniteEntries: count, ...(loss !== undefined ? { loss } : {}), groups: [] };
        for (const h of this.postHooks) h(this, report);
        return report;
      }
    }
    // Clip every group first (on the raw gradient), then update: a clip that throws leaves parameters and state untouched.
    const groupReports = this.paramGroups.map((g, gi) => this.clipGroup(g, gi));
    noGrad(() => {
      for (const g of this.paramGroups)
        for (const p of g.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) {
            st = this.initState(p, g.hyper);
            this.state.set(p, st);
          }
          this.updateParam(dataOf(p), dataOf(p.grad), st, g.hyper);
        }
    });
    this.stepCount++;
    this.consecutiveSkips = 0;
    const report: StepReport = { step: this.stepCount, skipped: false, consecutiveSkips: 0, nonFiniteEntries, ...(loss !== undefined ? { loss } : {}), groups: groupReports };
    for (const h of this.postHooks) h(this, report);
    return report;
  }

  private clipGroup(g: ParamGroup<H>, index: number): GroupStepReport {
    const grads = g.params.map((p) => p.grad);
    grads.forEach((gr, i) => {
      if (gr && (gr.size !== g.params[i]!.size || gr.dtype !== g.params[i]!.dtype)) throw new TapegradError(`${this.kind}.step`, `gradient of ${g.names[i]} has ${gr.dtype} ${gr.size} elements but the parameter is ${g.params[i]!.dtype} with ${g.params[i]!.size}`);
    });
    if (g.clip) {
      const r = g.clip.update(grads, g.clipState, g.params);
      g.clipState = r.state;
      g.params.forEach((p, i) => {
        const ng = r.grads[i];
        if (ng && ng !== p.grad) p.grad = ng;
      });
      const rep = r.report;
      return {
        group: index,
        lr: g.hyper.lr,
        clip: rep,
        normBefore: rep.normBefore,
        normAfter: rep.normAfter,
        clipped: rep.clipped,
        threshold: rep.threshold,
        params: rep.tensors.map((t) => ({ name: g.names[t.index]!, normBefore: t.normBefore, normAfter: t.normAfter, scale: t.scale, clipped: t.clipped })),
      };
    }
    const params: ParamStepReport[] = [];
    let sq = 0;
    grads.forEach((gr, i) => {
      if (!gr) return;
      const n = this.trackNorms ? tensorNorm(dataOf(gr), 2) : NaN;
      sq += n * n;
      params.push({ name: g.names[i]!, normBefore: n, normAfter: n, scale: 1, clipped: false });
    });
    const total = Math.sqrt(sq);
    return { group: index, lr: g.hyper.lr, clip: null, normBefore: total, normAfter: total, clipped: false, threshold: null, params };
  }

  /** A JSON-serializable snapshot: per-parameter state (by global index), group hyper-parameters and clip states. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const indices: number[] = [];
      for (const p of g.params) {
        const st = this.state.get(p);
        if (st) {
          const entry: { [key: string]: Json } = {};
          for (const [k, v] of Object.entries(st)) entry[k] = typeof v === 'number' ? v : { dtype: v instanceof Float32Array ? 'float32' : 'float64', data: Array.from(v) };
          state[String(index)] = entry;
        }
        indices.push(index++);
      }
      return { ...(g.hyper as unknown as { [key: string]: Json }), params: indices, clip: g.clip ? g.clip.name : null, clipState: g.clipState };
    });
    return JSON.parse(JSON.stringify({ state, paramGroups, stepCount: this.stepCount, consecutiveSkips: this.consecutiveSkips })) as OptimizerStateDict;
  }

  /**
   * Restores a snapshot from stateDict(). Everything is validated first; on
   * any mismatch (group or parameter count, state sizes or dtypes) it throws
   * and the optimizer is left unchanged.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') throw new ValueError(op, 'expected an object with "state" and "paramGroups"');
    if (sd.paramGroups.length !== this.paramGroups.length) throw new ValueError(op, `state dict has ${sd.paramGroups.length} parameter groups, optimizer has ${this.paramGroups.length}`);
    const all = this.paramGroups.flatMap((g) => g.params);
    const newState = new Map<Tensor, ParamState>();
    sd.paramGroups.forEach((sg, gi) => {
      const ids = sg.params;
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[gi]!.params.length) throw new ValueError(op, `group ${gi} has ${Array.isArray(ids) ? ids.length : 'no'} parameters in the state dict, ${this.paramGroups[gi]!.params.length} in the optimizer`);
    });
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = all[Number(key)];
      if (!p) throw new ValueError(op, `state for parameter ${key}, but the optimizer has ${all.length} parameters`);
      const st: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v === 'number') st[k] = v;
        else if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.data)) {
          if (v.data.length !== p.size) throw new ValueError(op, `state '${k}' of parameter ${key} has ${v.data.length} values, the parameter has ${p.size}`);
          if (v.dtype !== p.dtype) throw new ValueError(op, `state '${k}' of parameter ${key} is ${String(v.dtype)}, the parameter is ${p.dtype}`);
          st[k] = p.dtype === 'float32' ? Float32Array.from(v.data as number[]) : Float64Array.from(v.data as number[]);
        } else throw new ValueError(op, `state '${k}' of parameter ${key} is not a number or a {dtype, data} array`);
      }
      newState.set(p, st);
    }
    // All checks passed: apply.
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
    sd.paramGroups.forEach((sg, gi) => {
      const g = this.paramGroups[gi]!;
      const { params: _ids, clip: _clip, clipState, ...hyper } = sg;
      g.hyper = { ...g.hyper, ...(hyper as unknown as Partial<H>) };
      if (g.clip) g.clipState = clipState === undefined ? g.clip.init(g.params) : (JSON.parse(JSON.stringify(clipState)) as Json);
    });
    this.stepCount = sd.stepCount ?? 0;
    this.consecutiveSkips = sd.consecutiveSkips ?? 0;
  }
}

/** Splits constructor options into hyper-parameters and the options every optimizer shares. */
export function splitOptions<H>(options: Partial<H> & OptimizerOptions): [Partial<H>, OptimizerOptions] {
  const { clip, nonFinite, maxConsecutiveSkips, trackNorms, ...hyper } = options;
  return [hyper as Partial<H>, { clip, nonFinite, maxConsecutiveSkips, trackNorms }];
}

/** Throws a ValueError unless `cond`. */
export function check(op: string, cond: boolean, message: string): void {
  if (!cond) throw new ValueError(op, message);
}
