/**
 * `defineOp`: one op, one definition. `forward` computes the output(s) and
 * whatever residuals `backward` needs; `backward` maps the gradient of the
 * output(s) to one gradient per tensor input (null where none is taken).
 * The wrapper records the op on the tape only when recording is on and some
 * input requires grad, and checks for NaN/Inf in anomaly mode.
 */
import type { InputGradient } from './tape.js';
import { checkAnomaly, record, setGradEnabled, shouldRecord } from './tape.js';
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
}

/** A multi-output op (fused recurrent cells). Missing output gradients arrive as zeros. */
export interface MultiOpSpec<A extends unknown[], S> {
  name: string;
  forward(...args: A): { outs: Tensor[]; saved: S };
  backward(saved: S, grads: readonly Tensor[]): GradList;
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

/** Defines a differentiable single-output op. Also exported as `customOp` for user-defined ops. */
export function defineOp<A extends unknown[], S>(spec: OpSpec<A, S>): (...args: A) => Tensor {
  const { name } = spec;
  return (...args: A): Tensor => {
    const inputs = tensorInputs(args);
    const track = shouldRecord(inputs);
    const { out, saved } = runForward(() => spec.forward(...args));
    checkAnomaly(name, 'forward', out);
    if (track) record(name, inputs, [out], (grads) => spec.backward(saved, grads[0]!));
    return out;
  };
}

/** Defines a differentiable op with several outputs. */
export function defineMultiOp<A extends unknown[], S>(spec: MultiOpSpec<A, S>): (...args: A) => Tensor[] {
  const { name } = spec;
  return (...args: A): Tensor[] => {
    const inputs = tensorInputs(args);
    const track = shouldRecord(inputs);
    const { outs, saved } = runForward(() => spec.forward(...args));
    for (const o of outs) checkAnomaly(name, 'forward', o);
    if (track) record(name, inputs, outs, (grads) => spec.backward(saved, grads));
    return outs;
  };
}
