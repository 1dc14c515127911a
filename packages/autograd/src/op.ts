/**
 * `defineOp`: one op, one definition. `forward` computes the output(s) and
 * whatever residuals `backward` needs; `backward` maps the gradient of the
 * output(s) to one gradient per tensor input (null where none is taken).
 * The wrapper records the op on the tape only when recording is on and some
 * input requires grad, and checks for NaN/Inf in anomaly mode. An op may
 * also give its gradient in differentiable form (`backwardGraph`) or its
 * composite twin (`composite`), which higher-order gradients use.
 */
import type { BackwardFn, InputGradient } from './tape.js';
import { checkAnomaly, record, replayComposite, setGradEnabled, shouldRecord } from './tape.js';
import { Tensor } from './tensor.js';

/**
 * One gradient per tensor input, in the order they appear in the arguments;
 * null/undefined = none. A SliceGradient stands for a gradient that is zero
 * outside one slice of the input.
 */
export type GradList = readonly InputGradient[];

/** A single-output op. */
export interface OpSpec<A extends unknown[], S> {
  /** Name used on the tape and in error messages. */
  name: string;
  /** Runs with recording off. Validate arguments here, before computing anything. */
  forward(...args: A): { out: Tensor; saved: S };
  /** Runs with recording off; `grad` has the output's shape. */
  backward(saved: S, grad: Tensor): GradList;
  /**
   * The same gradient written with differentiable tensor ops, run with
   * recording on when a backward pass is itself recorded (`createGraph`,
   * nested `grad`), so its result can be differentiated again. `out` is the
   * op's output tensor as recorded; the tape keeps it alive for this only
   * when the function declares the parameter (a backwardGraph of two
   * parameters lets an unread output be collected before backward).
   * Optional: without it (and without
   * `composite`) the op supports first-order gradients only, and a
   * higher-order pass through it raises HigherOrderGradientError.
   */
  backwardGraph?(saved: S, grad: Tensor, out: Tensor): GradList;
  /**
   * The op's forward built from other differentiable ops (its composite
   * twin). When there is no `backwardGraph`, a recorded backward pass replays
   * it from the saved arguments and differentiates the replay.
   */
  composite?(...args: A): Tensor;
}

/** A multi-output op (fused recurrent cells). Missing output gradients arrive as zeros. */
export interface MultiOpSpec<A extends unknown[], S> {
  name: string;
  forward(...args: A): { outs: Tensor[]; saved: S };
  backward(saved: S, grads: readonly Tensor[]): GradList;
  /** As OpSpec.backwardGraph, for every output at once (`outs` held only when declared). */
  backwardGraph?(saved: S, grads: readonly Tensor[], outs: readonly Tensor[]): GradList;
  /** As OpSpec.composite: the outputs built from other differentiable ops. */
  composite?(...args: A): Tensor[];
}

/** The tensor arguments of a call, flattening one level of arrays (cat/stack take a list). */
function tensorInputs(args: readonly unknown[]): Tensor[] {
  const inputs: Tensor[] = [];
  for (const a of args) {
    if (a instanceof Tensor) inputs.push(a);
    else if (Array.isArray(a)) for (const x of a) if (x instanceof Tensor) inputs.push(x);
  }
  return inputs;
}

function runForward<R>(fn: () => R): R {
  const previous = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(previous);
  }
}

// The closures a record keeps are made by these helpers, each in its own scope: closures made in one
// function share one context in V8, so a closure there would keep alive everything any sibling captured
// (the op's arguments, its output) for as long as the record lives — until backward.

function firstOrderOf<S>(spec: OpSpec<never[], S>, saved: S): BackwardFn {
  return (grads) => spec.backward(saved, grads[0]!);
}
function firstOrderOfMulti<S>(spec: MultiOpSpec<never[], S>, saved: S): BackwardFn {
  return (grads) => spec.backward(saved, grads);
}
/** The recorded backward from backwardGraph; the output is held only when backwardGraph declares the parameter that reads it. */
function graphOf<S>(spec: OpSpec<never[], S>, saved: S, out: Tensor): BackwardFn {
  const held = spec.backwardGraph!.length >= 3 ? out : null;
  return (grads) => spec.backwardGraph!(saved, grads[0]!, held as Tensor);
}
function graphOfMulti<S>(spec: MultiOpSpec<never[], S>, saved: S, outs: Tensor[]): BackwardFn {
  const held = spec.backwardGraph!.length >= 3 ? outs : null;
  return (grads) => spec.backwardGraph!(saved, grads, held as Tensor[]);
}
/** The recorded backward by replaying the composite twin: it needs the op's arguments, so it keeps them. */
function replayOf(name: string, composite: (...args: unknown[]) => Tensor[], args: readonly unknown[], inputs: readonly Tensor[]): BackwardFn {
  return (grads) => replayComposite(name, composite, args, inputs, grads);
}

/** Defines a differentiable single-output op. Also exported as `customOp` for user-defined ops. */
export function defineOp<A extends unknown[], S>(spec: OpSpec<A, S>): (...args: A) => Tensor {
  const { name } = spec;
  const erased = spec as unknown as OpSpec<never[], S>;
  const composite = spec.composite ? (...a: unknown[]) => [spec.composite!(...(a as A))] : null;
  return (...args: A): Tensor => {
    const inputs = tensorInputs(args);
    const track = shouldRecord(inputs);
    const { out, saved } = runForward(() => spec.forward(...args));
    checkAnomaly(name, 'forward', out);
    if (track) {
      const graph = spec.backwardGraph ? graphOf(erased, saved, out) : composite ? replayOf(name, composite, args, inputs) : null;
      record(name, inputs, [out], firstOrderOf(erased, saved), graph);
    }
    return out;
  };
}

/** Defines a differentiable op with several outputs. */
export function defineMultiOp<A extends unknown[], S>(spec: MultiOpSpec<A, S>): (...args: A) => Tensor[] {
  const { name } = spec;
  const erased = spec as unknown as MultiOpSpec<never[], S>;
  const composite = spec.composite ? (...a: unknown[]) => spec.composite!(...(a as A)) : null;
  return (...args: A): Tensor[] => {
    const inputs = tensorInputs(args);
    const track = shouldRecord(inputs);
    const { outs, saved } = runForward(() => spec.forward(...args));
    for (const o of outs) checkAnomaly(name, 'forward', o);
    if (track) {
      const graph = spec.backwardGraph ? graphOfMulti(erased, saved, outs) : composite ? replayOf(name, composite, args, inputs) : null;
      record(name, inputs, outs, firstOrderOfMulti(erased, saved), graph);
    }
    return outs;
  };
}
