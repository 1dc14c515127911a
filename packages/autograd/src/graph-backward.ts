/**
 * The recorded backward walk: what `backward({ createGraph: true })`,
 * `gradients(..., { createGraph: true })` and nested `grad(grad(f))` run.
 *
 * The walk is the same reverse sweep over the roots' tape as the fast path
 * in tape.ts, with three differences that make its results differentiable:
 * it runs with recording on; each record's gradient comes from its
 * `backwardGraph` (the op's gradient written in recorded tensor ops, or a
 * replay of its composite twin); and gradients are summed with the recorded
 * `add`, never in place. The fast path is untouched: first-order training
 * never comes here. The graph is kept (createGraph implies retainGraph, as
 * in PyTorch), since the gradients it returns still point into it.
 */
import { formatShape, sameShape } from './backend/index.js';
import { GraphError, HigherOrderGradientError, ShapeError, TapegradError } from './errors.js';
import type { FloatDType } from './backend/index.js';
import { zeros } from './creation.js';
import { add } from './ops/elementwise.js';
import { embedSlice, reshape } from './ops/shape.js';
import type { TapeSlot } from './slot.js';
import type { TapeRecord } from './tape.js';
import { SliceGradient, applyGradHooks, checkAnomaly, collectTape, enableGrad, freedError, installGraphWalk, pruneToInputs, slotOf } from './tape.js';
import { Tensor } from './tensor.js';

/** Gradients by tensor id, with the slot of the tensor they belong to. */
type GradMap = Map<number, { slot: TapeSlot; grad: Tensor }>;

function accumulate(grads: GradMap, t: TapeSlot, g: Tensor): void {
  const previous = grads.get(t.id);
  grads.set(t.id, { slot: t, grad: previous ? add(previous.grad, g) : g });
}

function noGraphError(rec: TapeRecord): HigherOrderGradientError {
  return new HigherOrderGradientError(
    rec.op,
    `'${rec.op}' has no differentiable backward, so a recorded backward pass (createGraph, nested grad) cannot go through it. For a custom op, give its spec a backwardGraph (its gradient in tensor ops) or a composite (its forward in other ops).`,
  );
}

function walk(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: { inputs?: readonly Tensor[]; op: string }): (Tensor | null)[] {
  const { op } = options;
  const capture = options.inputs ? new Set(options.inputs.map((t) => t.id)) : null;
  const grads: GradMap = new Map();
  return enableGrad(() => {
    roots.forEach((root, i) => {
      if (!root.requiresGrad) throw new GraphError(op, 'tensor does not require grad and has no grad function; call requiresGrad_() on a leaf or compute it from one');
      accumulate(grads, slotOf(root), rootGrads[i]!);
    });
    const full = collectTape(roots);
    const tape = capture ? pruneToInputs(full, capture) : full;
    const retained: [Tensor, Tensor][] = [];
    for (const rec of tape) {
      if (!rec.outputs.some((out) => grads.has(out.id))) continue;
      if (rec.backward === null) throw freedError(rec);
      if (rec.backwardGraph === null) throw noGraphError(rec);
      const outGrads = rec.outputs.map((out) => {
        const entry = grads.get(out.id);
        if (!entry) return zeros(out.shape, { dtype: out.dtype as FloatDType });
        const hooked = applyGradHooks(out, entry.grad);
        if (out.tensor?.retainsGrad && !capture) retained.push([out.tensor, hooked]);
        if (capture?.has(out.id)) grads.set(out.id, { slot: out, grad: hooked });
        else grads.delete(out.id);
        return hooked;
      });
      const inGrads = rec.backwardGraph(outGrads);
      for (let i = 0; i < rec.inputs.length; i++) {
        const input = rec.inputs[i]!;
        const raw = inGrads[i];
        if (!raw || !input.requiresGrad) continue;
        const g = raw instanceof SliceGradient ? embedSlice(raw.grad, input.shape, raw.dim, raw.start, raw.step) : raw;
        if (!sameShape(g.shape, input.shape)) throw new ShapeError(rec.op, `differentiable backward returned a gradient of shape ${formatShape(g.shape)} for input ${i} of shape ${formatShape(input.shape)}`);
        if (g.dtype !== input.dtype) throw new TapegradError(rec.op, `differentiable backward returned a ${g.dtype} gradient for ${input.dtype} input ${i}`);
        checkAnomaly(rec.op, `backward (gradient of input ${i})`, g);
        accumulate(grads, input, g);
      }
    }
    if (capture) {
      return options.inputs!.map((t) => {
        const entry = grads.get(t.id);
        if (!entry) return null;
        return t.isLeaf ? applyGradHooks(slotOf(t), entry.grad) : entry.grad;
      });
    }
    // Hooks first: a hook that throws leaves every .grad as it was.
    const leaves: [Tensor, Tensor][] = [];
    for (const { slot, grad } of grads.values()) if (slot.isLeaf) leaves.push([slot.tensor!, applyGradHooks(slot, grad)]);
    // Commit out of place: .grad becomes a recorded tensor (PyTorch does the same under create_graph).
    for (const [t, g] of retained) t.grad = t.grad ? add(t.grad, g) : g;
    for (const [t, g] of leaves) t.grad = t.grad ? add(t.grad, g) : g;
    return [];
  });
}

installGraphWalk(walk, (t) => reshape(t, t.shape));
