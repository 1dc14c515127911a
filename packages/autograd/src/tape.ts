/**
 * Recording and the reverse walk.
 *
 * Every differentiable op that runs while gradients are enabled and has an
 * input that requires grad pushes a plain record {op, inputs, outputs,
 * backward}. Records carry a sequence number in recording order, which is a
 * topological order. `backward(root)` collects the records reachable from the
 * root into the root's tape, walks it in reverse, and accumulates gradients in
 * a map keyed by tensor id. Records hang off their outputs (not a global list),
 * so a graph nobody backwards through is garbage-collected with its tensors.
 * A record refers to its inputs and outputs through slots (slot.ts), not the
 * tensors: only what an op's backward saved stays alive until backward.
 */
import type { FloatArray } from './backend/index.js';
import { allocate, allocateLike, formatShape, kernels, sameShape } from './backend/index.js';
import { GraphError, HigherOrderGradientError, NonFiniteError, ShapeError, TapegradError } from './errors.js';
import { checkOptions, optionalBoolean } from './validate.js';
import { TapeSlot } from './slot.js';
import { Tensor } from './tensor.js';

/**
 * The gradient of an input that only a slice of it received (from slice,
 * select, narrow, split, chunk): `grad` is the gradient of the region
 * x[..., start : start + len·step : step, ...] along `dim`. The walk adds it
 * into the input's dense gradient region by region, so a loop of k slices
 * costs O(input + k·slice) instead of k full-size gradients.
 */
export class SliceGradient {
  constructor(
    readonly dim: number,
    readonly start: number,
    readonly step: number,
    readonly grad: Tensor,
  ) {}
}

/** One gradient per input: dense, a slice of the input, or none. */
export type InputGradient = Tensor | SliceGradient | null | undefined;

/** Maps the gradients of an op's outputs to one gradient per input (null: none). */
export type BackwardFn = (grads: readonly Tensor[]) => readonly InputGradient[];

/** One entry of the tape: an op, the slots of its inputs and outputs, and the closure mapping output gradients to input gradients. */
export interface TapeRecord {
  /** Recording order; later records consume earlier ones. */
  readonly seq: number;
  /** The op's name, used in error messages. */
  readonly op: string;
  readonly inputs: readonly TapeSlot[];
  readonly outputs: readonly TapeSlot[];
  /** Null once the graph has been freed by a backward pass. */
  backward: BackwardFn | null;
  /**
   * The same gradient computed with recorded (differentiable) ops, used by a
   * backward pass with `createGraph`; null for ops that have none (a custom
   * op without backwardGraph or composite).
   */
  readonly backwardGraph: BackwardFn | null;
}

let seqCounter = 0;
let gradEnabled = true;
let anomalyEnabled = false;

/** Whether ops currently record onto the tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Turns recording on or off globally; returns the previous setting. */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

/** Runs `fn` without recording (inference, optimizer updates); like `torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(false);
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(true);
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Whether anomaly mode is on. */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/**
 * Anomaly mode: while on, the first op whose forward output or backward
 * gradient contains NaN or ±Inf raises a NonFiniteError naming the op.
 * With a function argument, enables it only while the function runs.
 */
export function detectAnomaly(enabled: boolean): void;
export function detectAnomaly<T>(fn: () => T): T;
export function detectAnomaly<T>(arg: boolean | (() => T)): T | void {
  if (typeof arg === 'boolean') {
    anomalyEnabled = arg;
    return;
  }
  const previous = anomalyEnabled;
  anomalyEnabled = true;
  try {
    return arg();
  } finally {
    anomalyEnabled = previous;
  }
}

/** Index of the first non-finite element, or -1. */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Raises a NonFiniteError if anomaly mode is on and `t` holds NaN/Inf. */
export function checkAnomaly(op: string, phase: string, t: Tensor): void {
  if (!anomalyEnabled) return;
  const i = firstNonFinite(t.data);
  if (i >= 0) throw new NonFiniteError(op, `${phase} produced ${t.data[i]} at flat index ${i} of a ${formatShape(t.shape)} tensor (anomaly mode)`);
}

/** True when recording is on and some input requires grad. */
export function shouldRecord(inputs: readonly Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** The slot a record refers to `t` by: its output slot for a non-leaf, a slot made on first use for a leaf. */
export function slotOf(t: Tensor): TapeSlot {
  return (t.slot ??= new TapeSlot(t, t.node));
}

/** Pushes a record for `outputs` (which then require grad). */
export function record(op: string, inputs: readonly Tensor[], outputs: readonly Tensor[], backward: BackwardFn, backwardGraph: BackwardFn | null = null): void {
  const outSlots: TapeSlot[] = [];
  const rec: TapeRecord = { seq: seqCounter++, op, inputs: inputs.map(slotOf), outputs: outSlots, backward, backwardGraph };
  for (const out of outputs) {
    out.node = rec;
    out.requiresGrad = true;
    out.slot = new TapeSlot(out, rec);
    outSlots.push(out.slot);
  }
}

/** Options of backward(). */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again. */
  retainGraph?: boolean;
  /**
   * Record the backward pass so its results are differentiable (PyTorch's
   * create_graph): the gradients are tensors on the tape, and a backward
   * through them gives second (and higher) derivatives. Implies retainGraph.
   * Leaves' `.grad` become those recorded tensors (accumulated out of place).
   */
  createGraph?: boolean;
}

/**
 * The leaves that functional transforms (valueAndGrad, grad) are currently
 * differentiating, innermost last. A backward pass whose graph reaches one
 * of them, run while recording is on, will be differentiated by the outer
 * transform: grad/valueAndGrad then record it (createGraph) by themselves,
 * and a plain backward() without createGraph raises instead of silently
 * returning a gradient that acts as a constant.
 */
const differentiating: (readonly Tensor[])[] = [];

/** Runs `fn` while `leaves` are being differentiated by an outer transform (see runBackward). */
export function whileDifferentiating<T>(leaves: readonly Tensor[], fn: () => T): T {
  differentiating.push(leaves);
  try {
    return fn();
  } finally {
    differentiating.pop();
  }
}

/**
 * True when `roots` are, or depend on, inputs that an enclosing grad /
 * valueAndGrad is differentiating while recording is on: a gradient taken
 * of them must itself be recorded (createGraph) for the outer one to be right.
 */
export function reachesOuterInputs(roots: readonly Tensor[]): boolean {
  if (!gradEnabled || differentiating.length === 0) return false;
  return reaches(roots, collectTape(roots));
}

function reaches(roots: readonly Tensor[], tape: readonly TapeRecord[]): boolean {
  const outer = new Set<number>();
  for (const leaves of differentiating) for (const t of leaves) outer.add(t.id);
  let reaches = roots.some((r) => outer.has(r.id));
  for (const rec of tape) {
    if (reaches) break;
    for (const input of rec.inputs) if (outer.has(input.id)) reaches = true;
  }
  return reaches;
}

/** Throws when a backward pass that is not recorded would have to be differentiated (a gradient of a gradient). */
function refuseNestedBackward(op: string, roots: readonly Tensor[], tape: readonly TapeRecord[]): void {
  if (!gradEnabled || differentiating.length === 0) return;
  if (reaches(roots, tape)) {
    throw new HigherOrderGradientError(
      op,
      'this backward pass runs inside grad()/valueAndGrad() on a graph that depends on the outer function\'s input, so the outer gradient has to differentiate it (a gradient of a gradient), and without createGraph it would act as a constant and silently give 0. Pass { createGraph: true } (or use grad()/gradients() with createGraph), or wrap the inner call in noGrad() if you want its value as a constant.',
    );
  }
}

interface GradEntry {
  slot: TapeSlot;
  data: FloatArray;
  /** False while `data` may alias another tensor's buffer (then it is copied before in-place accumulation). */
  owned: boolean;
}

/** Adds a slice gradient into t's dense entry (allocated zero the first time). */
function accumulateSlice(map: Map<number, GradEntry>, t: TapeSlot, g: SliceGradient): void {
  let entry = map.get(t.id);
  if (!entry) {
    entry = { slot: t, data: allocate(t.dtype, t.size) as FloatArray, owned: true };
    map.set(t.id, entry);
  } else if (!entry.owned) {
    entry.data = entry.data.slice();
    entry.owned = true;
  }
  kernels.sliceAssign(entry.data, t.shape, g.dim, g.start, g.step, g.grad.data, g.grad.shape, true);
}

function accumulate(map: Map<number, GradEntry>, t: TapeSlot, g: Tensor): void {
  const entry = map.get(t.id);
  const data = g.data as FloatArray;
  if (!entry) {
    map.set(t.id, { slot: t, data, owned: false });
    return;
  }
  if (!entry.owned) {
    entry.data = entry.data.slice();
    entry.owned = true;
  }
  const acc = entry.data;
  kernels.addInPlace(acc, data);
}

/** Runs the hooks of `slot`'s tensor on its complete gradient `g`; returns the (possibly replaced) gradient. Shared by both walks. */
export function applyGradHooks(slot: TapeSlot, g: Tensor): Tensor {
  const t = slot.tensor; // a tensor with hooks is always held by its slot
  if (!t?.hooks || t.hooks.length === 0) return g;
  for (const hook of t.hooks.slice()) {
    const replaced = hook(g);
    if (replaced instanceof Tensor) {
      if (!sameShape(replaced.shape, t.shape) || replaced.dtype !== t.dtype) {
        throw new ShapeError('registerHook', `hook returned a ${replaced.dtype} ${formatShape(replaced.shape)} gradient for a ${t.dtype} ${formatShape(t.shape)} tensor`);
      }
      g = replaced;
    }
  }
  return g;
}

/** Applies the tensor's hooks to its complete gradient entry. */
function runHooks(slot: TapeSlot, entry: GradEntry): void {
  if (!slot.tensor?.hooks || slot.tensor.hooks.length === 0) return;
  const g = applyGradHooks(slot, new Tensor(entry.data, slot.shape));
  if (g.data !== entry.data) {
    entry.data = g.data as FloatArray;
    entry.owned = false;
  }
}

/** Adds a gradient into `t.grad` in place (allocating it the first time). */
function accumulateIntoGrad(t: Tensor, entry: GradEntry): void {
  if (t.grad === null) {
    t.grad = new Tensor(entry.owned ? entry.data : entry.data.slice(), t.shape);
    return;
  }
  const acc = t.grad.data as FloatArray;
  const g = entry.data;
  kernels.addInPlace(acc, g);
}

/** The error for a record whose graph an earlier backward freed. */
export function freedError(rec: TapeRecord): GraphError {
  return new GraphError('backward', `the graph through '${rec.op}' was freed by an earlier backward(); pass { retainGraph: true } to the first backward() to run backward through the same graph twice`);
}

/** The records reachable from `roots`, in reverse recording order: the roots' tape. */
export function collectTape(roots: readonly Tensor[]): TapeRecord[] {
  const seen = new Set<TapeRecord>();
  const stack: TapeRecord[] = [];
  for (const r of roots) if (r.node && !seen.has(r.node)) { seen.add(r.node); stack.push(r.node); }
  // Records reach their inputs' records through the slots (slot.node), never through the tensors.
  const tape: TapeRecord[] = [];
  while (stack.length > 0) {
    const rec = stack.pop()!;
    tape.push(rec);
    for (const input of rec.inputs) {
      const n = input.node;
      if (n && !seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return tape.sort((a, b) => b.seq - a.seq);
}

/**
 * The part of a tape (reverse recording order) that lies between the
 * captured `inputs` and the roots: records with an input that is captured
 * or produced by a kept record. Gradients flow to the captured inputs only
 * through these, so gradients(outputs, inputs) skips everything upstream.
 */
export function pruneToInputs(tape: readonly TapeRecord[], inputs: ReadonlySet<number>): TapeRecord[] {
  const live = new Set(inputs);
  const kept: TapeRecord[] = [];
  for (let k = tape.length - 1; k >= 0; k--) {
    const rec = tape[k]!;
    if (!rec.inputs.some((t) => live.has(t.id))) continue;
    kept.push(rec);
    for (const out of rec.outputs) live.add(out.id);
  }
  return kept.reverse();
}

/** A recorded identity view of a tensor (reshape to its own shape), installed with the walk. */
let aliasOf: ((t: Tensor) => Tensor) | null = null;

/** The recorded backward walk (createGraph), installed by graph-backward.ts so that this module need not import the ops. */
type GraphWalk = (roots: readonly Tensor[], rootGrads: readonly Tensor[], options: { inputs?: readonly Tensor[]; op: string }) => (Tensor | null)[];
let graphWalk: GraphWalk | null = null;

/** Installs the recorded backward walk (called once by graph-backward.ts). */
export function installGraphWalk(walk: GraphWalk, alias: (t: Tensor) => Tensor): void {
  graphWalk = walk;
  aliasOf = alias;
}

/**
 * The differentiable backward of an op that has a composite twin: replays
 * the composite from the op's saved arguments with recording on and
 * differentiates the replay with createGraph. An input that appears twice
 * gets its whole gradient once (at its first position), as the walk adds
 * the gradients of all positions.
 */
export function replayComposite(op: string, composite: (...args: unknown[]) => Tensor[], args: readonly unknown[], inputs: readonly Tensor[], grads: readonly Tensor[]): InputGradient[] {
  // The replay runs on recorded views of the inputs, so the gradient it takes is this op's own (local)
  // one: captured at the inputs themselves, a shared weight's earlier uses (W_hh in every previous
  // step) would be differentiated again through each input, recursively.
  const views = new Map<Tensor, Tensor>();
  const viewOf = (t: Tensor) => {
    if (!t.requiresGrad) return t;
    let v = views.get(t);
    if (!v) views.set(t, (v = aliasOf!(t)));
    return v;
  };
  const replayArgs = enableGrad(() => args.map((a) => (a instanceof Tensor ? viewOf(a) : Array.isArray(a) ? a.map((x: unknown) => (x instanceof Tensor ? viewOf(x) : x)) : a)));
  const outs = enableGrad(() => composite(...replayArgs));
  const roots: Tensor[] = [], seeds: Tensor[] = [];
  outs.forEach((o, i) => {
    if (o.requiresGrad) {
      roots.push(o);
      seeds.push(grads[i]!);
    }
  });
  const wanted = [...new Set(inputs.filter((t) => t.requiresGrad))];
  if (roots.length === 0 || wanted.length === 0) return inputs.map(() => null);
  const got = runBackward(roots, seeds, { inputs: wanted.map(viewOf), createGraph: true, op });
  const byTensor = new Map(wanted.map((t, i) => [t, got[i] ?? null]));
  return inputs.map((t) => {
    const g = byTensor.get(t) ?? null;
    byTensor.delete(t);
    return g;
  });
}

/**
 * The reverse walk shared by `Tensor.backward` and the functional API.
 * Seeds each root with its gradient, walks the roots' tape in reverse, and
 * either accumulates into the `.grad` of leaves (no `inputs`) or returns the
 * gradients of `inputs` without touching any `.grad`.
 */
export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: BackwardOptions & { inputs?: readonly Tensor[]; op?: string } = {}): (Tensor | null)[] {
  const op = options.op ?? 'backward';
  if (options.createGraph) {
    if (!graphWalk) throw new HigherOrderGradientError(op, 'the recorded backward walk is not installed (import @tapegrad/autograd, not a deep path)');
    return graphWalk(roots, rootGrads, { ...(options.inputs ? { inputs: options.inputs } : {}), op });
  }
  const capture = options.inputs ? new Set(options.inputs.map((t) => t.id)) : null;
  const grads = new Map<number, GradEntry>();
  roots.forEach((root, i) => {
    if (!root.requiresGrad) throw new GraphError(op, 'tensor does not require grad and has no grad function; call requiresGrad_() on a leaf or compute it from one');
    accumulate(grads, slotOf(root), rootGrads[i]!);
  });
  const fullTape = collectTape(roots);
  refuseNestedBackward(op, roots, fullTape);
  const tape = capture ? pruneToInputs(fullTape, capture) : fullTape;
  // Gradients of non-leaves that keep theirs (retainGrad) are committed with the leaves', at the end.
  const retained: [Tensor, GradEntry][] = [];
  let completed = false;
  const previous = setGradEnabled(false);
  try {
    for (const rec of tape) {
      let any = false;
      for (const out of rec.outputs) if (grads.has(out.id)) any = true;
      if (!any) continue;
      if (rec.backward === null) throw freedError(rec);
      const outGrads = rec.outputs.map((out) => {
        const entry = grads.get(out.id);
        if (!entry) return zerosFor(out);
        runHooks(out, entry);
        if (out.tensor?.retainsGrad && !capture) retained.push([out.tensor, { ...entry }]);
        if (!capture?.has(out.id)) grads.delete(out.id);
        return new Tensor(entry.data, out.shape);
      });
      const inGrads = rec.backward(outGrads);
      for (let i = 0; i < rec.inputs.length; i++) {
        const input = rec.inputs[i]!;
        const g = inGrads[i];
        if (!g || !input.requiresGrad) continue;
        if (g instanceof SliceGradient) {
          checkAnomaly(rec.op, `backward (gradient of input ${i})`, g.grad);
          accumulateSlice(grads, input, g);
          continue;
        }
        if (!sameShape(g.shape, input.shape)) {
          throw new ShapeError(rec.op, `backward returned a gradient of shape ${formatShape(g.shape)} for input ${i} of shape ${formatShape(input.shape)}`);
        }
        if (g.dtype !== input.dtype) throw new TapegradError(rec.op, `backward returned a ${g.dtype} gradient for ${input.dtype} input ${i}`);
        checkAnomaly(rec.op, `backward (gradient of input ${i})`, g);
        accumulate(grads, input, g);
      }
    }
    if (capture) {
      const result = options.inputs!.map((t) => {
        const entry = grads.get(t.id);
        if (!entry) return null;
        if (t.isLeaf) runHooks(slotOf(t), entry);
        return new Tensor(entry.owned ? entry.data : entry.data.slice(), t.shape);
      });
      completed = true;
      return result;
    }
    // Run every leaf's hooks first: a hook that throws must leave every .grad as it was.
    const leaves: GradEntry[] = [];
    for (const entry of grads.values()) {
      if (!entry.slot.isLeaf) continue;
      runHooks(entry.slot, entry);
      leaves.push(entry);
    }
    // Commit: nothing below can fail on valid input (shapes were checked during the walk).
    for (const [t, entry] of retained) accumulateIntoGrad(t, entry);
    for (const entry of leaves) accumulateIntoGrad(entry.slot.tensor!, entry);
    completed = true;
    return [];
  } finally {
    setGradEnabled(previous);
    // A failed pass keeps the graph, so the caller can fix the cause (a hook, a shape) and run it again.
    if (completed && !options.retainGraph) for (const rec of tape) rec.backward = null;
  }
}

function zerosFor(t: TapeSlot): Tensor {
  return new Tensor(allocate(t.dtype, t.size), t.shape);
}

/**
 * `t.backward(gradient?, options?)`: accumulates d(t)/d(leaf) into every
 * leaf's `.grad`. A non-scalar `t` needs an explicit upstream gradient of its
 * shape. The options may come first: `t.backward({ retainGraph: true })`.
 * If the pass fails (a hook throws, a backward returns a wrong shape), every
 * `.grad` is left as it was and the graph is kept.
 */
export function backward(t: Tensor, gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void {
  if (!(t instanceof Tensor)) throw new TapegradError('backward', `expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor) && typeof gradient === 'object') {
    if (options !== undefined) throw new TapegradError('backward', 'options given twice: pass backward(gradient, options) or backward(options)');
    options = gradient;
    gradient = undefined;
  }
  if (gradient !== undefined && !(gradient instanceof Tensor)) throw new TapegradError('backward', `gradient must be a Tensor, got ${gradient === null ? 'null' : typeof gradient}`);
  options ??= {};
  checkOptions('backward', options, ['retainGraph', 'createGraph']);
  optionalBoolean('backward', 'retainGraph', options.retainGraph, false);
  optionalBoolean('backward', 'createGraph', options.createGraph, false);
  let seed: Tensor;
  if (gradient === undefined) {
    if (t.size !== 1) throw new GraphError('backward', `output has shape ${formatShape(t.shape)}; a non-scalar output needs an explicit gradient of the same shape`);
    const one = allocateLike(t.data as FloatArray, 1);
    one[0] = 1;
    seed = new Tensor(one, t.shape);
  } else {
    if (!sameShape(gradient.shape, t.shape)) throw new ShapeError('backward', `gradient has shape ${formatShape(gradient.shape)} but the output has shape ${formatShape(t.shape)}`);
    if (gradient.dtype !== t.dtype) throw new TapegradError('backward', `gradient is ${gradient.dtype} but the output is ${t.dtype}`);
    seed = gradient;
  }
  runBackward([t], [seed], options);
}
