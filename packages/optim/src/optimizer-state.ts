/**
 * Optimizer state dicts: writing them (NaN and ±Inf kept, see state-json.ts)
 * and reading them back with every field validated before anything is
 * applied, so that a truncated, edited or foreign snapshot is a named error
 * and never a half-loaded optimizer.
 */
import type { FloatArray, Tensor } from '@tapegrad/autograd';
import { ValueError, checkOptions, describeValue, requireNumber } from '@tapegrad/autograd';
import type { HyperSpec } from './hyper.js';
import { checkHyper } from './hyper.js';
import type { Json } from './json.js';
import type { OptimizerStateDict, ParamGroup, ParamState } from './optimizer.js';
import { decodeJson, decodeNumber, encodeJson, encodeNumber } from './state-json.js';
import type { GradientTransformation } from './transform.js';

/** The entries one parameter's state holds: counters (non-negative integers) and buffers (one value per element). */
export interface StateSpec {
  counters: readonly string[];
  buffers: readonly string[];
  /** Buffers that may be absent (SGD's momentum buffer before the first step). */
  optionalBuffers?: readonly string[];
}

/** What writeStateDict/readStateDict need from an optimizer. */
interface StateOwner<H> {
  readonly kind: string;
  readonly paramGroups: ParamGroup<H>[];
  readonly state: Map<Tensor, ParamState>;
  readonly clip: GradientTransformation | null;
  readonly clipState: Json;
  readonly shadow: readonly GradientTransformation[];
  readonly shadowStates: readonly Json[];
  readonly stepCount: number;
  readonly consecutiveSkips: number;
}

/** The validated content of a state dict, ready to apply. */
export interface LoadedState<H> {
  state: Map<Tensor, ParamState>;
  groups: { hyper: H; clipState: Json | undefined }[];
  clipState: Json | undefined;
  /** One per shadow rule (undefined: start it afresh), or undefined when the snapshot has none. */
  shadowStates: (Json | undefined)[] | undefined;
  stepCount: number;
  consecutiveSkips: number;
}

const TOP_KEYS = ['state', 'paramGroups', 'stepCount', 'consecutiveSkips', 'clip', 'clipState', 'shadow', 'shadowStates'];

/** The snapshot of an optimizer (see Optimizer.stateDict). */
export function writeStateDict<H>(opt: StateOwner<H>): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  let index = 0;
  const paramGroups = opt.paramGroups.map((g) => {
    const indices: number[] = [];
    for (const p of g.params) {
      const st = opt.state.get(p);
      if (st) {
        const entry: { [key: string]: Json } = {};
        for (const [k, v] of Object.entries(st)) entry[k] = typeof v === 'number' ? encodeNumber(v) : { dtype: v instanceof Float32Array ? 'float32' : 'float64', data: Array.from(v, encodeNumber) };
        state[String(index)] = entry;
      }
      indices.push(index++);
    }
    return { ...(encodeJson(g.hyper) as { [key: string]: Json }), params: indices, clip: g.clip ? g.clip.name : null, clipState: encodeJson(g.clipState) };
  });
  const sd: OptimizerStateDict = { state, paramGroups, stepCount: opt.stepCount, consecutiveSkips: opt.consecutiveSkips, clip: opt.clip ? opt.clip.name : null, clipState: encodeJson(opt.clipState) };
  if (opt.shadow.length) {
    sd.shadow = opt.shadow.map((s) => s.name);
    sd.shadowStates = opt.shadowStates.map((st) => encodeJson(st));
  }
  return sd;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A clip state from the snapshot; refuses one written by a different transformation (its state would not fit). */
function readClipState(fn: string, where: string, clip: GradientTransformation | null, savedName: unknown, saved: unknown): Json | undefined {
  if (saved === undefined || saved === null) return undefined;
  if (!clip) throw new ValueError(fn, `${where} has a clip state but this optimizer has no clip there`);
  if (savedName !== clip.name) throw new ValueError(fn, `${where}'s clip state was written by ${describeValue(savedName)}, but the clip here is '${clip.name}'`);
  return decodeJson(saved as Json);
}

/** The shadow rules' states from a snapshot: same rules in the same order, or none saved. */
function readShadowStates(fn: string, shadow: readonly GradientTransformation[], names: unknown, states: unknown): (Json | undefined)[] | undefined {
  if (names === undefined && states === undefined) return undefined;
  if (!Array.isArray(names) || !Array.isArray(states) || names.length !== states.length) throw new ValueError(fn, `shadow and shadowStates must be lists of the same length, got ${describeValue(names)} and ${describeValue(states)}`);
  if (names.length !== shadow.length || names.some((n, i) => n !== shadow[i]!.name)) throw new ValueError(fn, `the snapshot's shadow rules are ${describeValue(names)}, but this optimizer's are ${describeValue(shadow.map((s) => s.name))}`);
  return states.map((st, i) => readClipState(fn, `shadow[${i}]`, shadow[i]!, names[i], st));
}

/**
 * Validates a snapshot against this optimizer: its shape, every
 * hyper-parameter (schema and cross-field checks), every state entry (the
 * buffers this kind needs, dtype, length, numbers), counters and clip states.
 * Throws a ValueError naming the first problem; returns what to apply.
 */
export function readStateDict<H>(opt: StateOwner<H>, sd: unknown, spec: HyperSpec<H>, stateSpec: (h: H) => StateSpec, validate: (h: H) => void): LoadedState<H> {
  const fn = `${opt.kind}.loadStateDict`;
  if (!isObject(sd) || !Array.isArray(sd.paramGroups) || !isObject(sd.state)) throw new ValueError(fn, 'expected an object with "state" and "paramGroups"');
  checkOptions(fn, sd, TOP_KEYS);
  if (sd.paramGroups.length !== opt.paramGroups.length) throw new ValueError(fn, `state dict has ${sd.paramGroups.length} parameter groups, optimizer has ${opt.paramGroups.length}`);
  const stepCount = sd.stepCount === undefined ? 0 : requireNumber(fn, 'stepCount', sd.stepCount, { integer: true, min: 0 });
  const consecutiveSkips = sd.consecutiveSkips === undefined ? 0 : requireNumber(fn, 'consecutiveSkips', sd.consecutiveSkips, { integer: true, min: 0 });
  const all: Tensor[] = [];
  const hyperOf: H[] = [];
  const groups = sd.paramGroups.map((sg: unknown, gi: number) => {
    const g = opt.paramGroups[gi]!;
    const where = `parameter group ${gi}`;
    if (!isObject(sg)) throw new ValueError(fn, `${where} must be an object, got ${describeValue(sg)}`);
    checkOptions(`${fn} (${where})`, sg, ['params', 'clip', 'clipState', ...Object.keys(spec)]);
    const ids = sg.params;
    if (!Array.isArray(ids) || ids.length !== g.params.length) throw new ValueError(fn, `${where} has ${Array.isArray(ids) ? ids.length : 'no'} parameters in the state dict, ${g.params.length} in the optimizer`);
    ids.forEach((id, k) => {
      if (id !== all.length + k) throw new ValueError(fn, `${where} lists parameter index ${describeValue(id)} at position ${k}; expected ${all.length + k}`);
    });
    all.push(...g.params);
    const hyper = { ...g.hyper } as Record<string, unknown>;
    for (const key of Object.keys(spec)) if (key in sg) hyper[key] = decodeJson(sg[key] as Json);
    checkHyper(`${fn} (${where})`, hyper as H, spec);
    validate(hyper as H);
    hyperOf.push(hyper as H);
    return { hyper: hyper as H, clipState: readClipState(fn, where, g.clip, sg.clip, sg.clipState) };
  });
  const paramGroupOf = (index: number) => {
    let n = 0;
    for (let gi = 0; gi < opt.paramGroups.length; gi++) {
      n += opt.paramGroups[gi]!.params.length;
      if (index < n) return gi;
    }
    return -1;
  };
  const state = new Map<Tensor, ParamState>();
  for (const [key, entry] of Object.entries(sd.state)) {
    const index = Number(key);
    const p = String(index) === key && Number.isInteger(index) && index >= 0 ? all[index] : undefined;
    if (!p) throw new ValueError(fn, `state for parameter '${key}', but the optimizer has parameters 0..${all.length - 1}`);
    const where = `state of parameter ${key}`;
    if (!isObject(entry)) throw new ValueError(fn, `${where} must be an object, got ${describeValue(entry)}`);
    const want = stateSpec(hyperOf[paramGroupOf(index)]!);
    const optional = want.optionalBuffers ?? [];
    checkOptions(`${fn} (${where})`, entry, [...want.counters, ...want.buffers, ...optional]);
    const st: ParamState = {};
    for (const k of want.counters) {
      if (!(k in entry)) throw new ValueError(fn, `${where} lacks '${k}'`);
      st[k] = requireNumber(fn, `${where}: ${k}`, decodeNumber(fn, `${where}: ${k}`, entry[k]), { integer: true, min: 0 });
    }
    for (const k of [...want.buffers, ...optional]) {
      if (!(k in entry)) {
        if (optional.includes(k)) continue;
        throw new ValueError(fn, `${where} lacks the buffer '${k}'`);
      }
      st[k] = readBuffer(fn, `${where}: ${k}`, entry[k], p);
    }
    state.set(p, st);
  }
  const clipState = readClipState(fn, 'the optimizer', opt.clip, sd.clip, sd.clipState);
  return { state, groups, clipState, shadowStates: readShadowStates(fn, opt.shadow, sd.shadow, sd.shadowStates), stepCount, consecutiveSkips };
}

/** A `{dtype, data}` buffer: the parameter's dtype, one number (or tagged non-finite) per element. */
function readBuffer(fn: string, where: string, v: unknown, p: Tensor): FloatArray {
  if (!isObject(v) || !Array.isArray(v.data)) throw new ValueError(fn, `${where} must be a {dtype, data} buffer, got ${describeValue(v)}`);
  checkOptions(`${fn} (${where})`, v, ['dtype', 'data']);
  if (v.dtype !== p.dtype) throw new ValueError(fn, `${where} is ${describeValue(v.dtype)}, the parameter is ${p.dtype}`);
  if (v.data.length !== p.size) throw new ValueError(fn, `${where} has ${v.data.length} values, the parameter has ${p.size}`);
  const out = p.dtype === 'float32' ? new Float32Array(p.size) : new Float64Array(p.size);
  for (let i = 0; i < out.length; i++) out[i] = decodeNumber(fn, `${where}[${i}]`, v.data[i]);
  return out;
}
