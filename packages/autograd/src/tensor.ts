/**
 * The Tensor class: a contiguous row-major typed array with a shape, a dtype
 * and the autograd bookkeeping (requiresGrad, grad, the tape record that made
 * it). Operations are attached as methods by ./methods.ts so that this file
 * stays a thin data holder.
 */
import type { DataArray, DType } from './backend/index.js';
import { dtypeOf, formatShape, sizeOf } from './backend/index.js';
import { ShapeError, TapegradError } from './errors.js';
import type { TapeSlot } from './slot.js';
import type { TapeRecord } from './tape.js';

/** A gradient hook: sees the gradient flowing into a tensor and may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** Returned by `registerHook`; `remove()` detaches the hook. */
export interface RemovableHandle {
  remove(): void;
}

/** Nested JS arrays of numbers, the form `toArray()` returns. */
export type NestedArray = number | NestedArray[];

let nextId = 1;

/** An n-dimensional array of float32, float64 or int32 values that can record the ops applied to it. */
export class Tensor {
  /** Unique id; the backward pass keys gradients by it. */
  readonly id: number;
  readonly shape: readonly number[];
  /** The elements, contiguous and row-major. Mutating it bypasses autograd. */
  data: DataArray;
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient after backward (leaves, and tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** @internal The tape record that produced this tensor; null for leaves. */
  node: TapeRecord | null = null;
  /** @internal Hooks registered with registerHook. */
  hooks: GradHook[] | null = null;
  /** @internal Whether a non-leaf keeps its gradient in `.grad`. */
  retainsGrad = false;
  /** @internal What the tape keeps of this tensor (slot.ts): set when an op records it as an output, or on a leaf's first use by a recorded op. */
  slot: TapeSlot | null = null;

  /** Wraps `data` (not copied) with `shape`. Prefer the factory `tensor()`. */
  constructor(data: DataArray, shape: readonly number[], requiresGrad = false) {
    const size = sizeOf(shape);
    if (data.length !== size) throw new ShapeError('Tensor', `data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError('Tensor', `invalid shape ${formatShape(shape)}: sizes must be non-negative integers`);
    }
    this.id = nextId++;
    this.shape = Object.freeze(shape.slice());
    this.data = data;
    if (requiresGrad && this.dtype === 'int32') throw new TapegradError('Tensor', 'only float32 and float64 tensors can require gradients; got int32');
    this.requiresGrad = requiresGrad;
  }

  /** The element type, read from the storage (float32, float64 or int32). */
  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
  /** True for tensors not produced by a recorded op (parameters, inputs). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new ShapeError('item', `only one-element tensors convert to a number; shape is ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** The values as nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const data = this.data;
    const shape = this.shape;
    if (shape.length === 0) return data[0]!;
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const n = shape[dim]!;
      const inner = stride / n;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = dim === shape.length - 1 ? data[offset + i]! : build(dim + 1, offset + i * inner, inner);
      return out;
    };
    return build(0, 0, data.length);
  }

  /** A tensor sharing this one's data but cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Sets requiresGrad in place (leaves only) and returns this tensor. */
  requiresGrad_(value = true): this {
    if (!this.isLeaf && !value) throw new TapegradError('requiresGrad_', 'cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    if (value && this.dtype === 'int32') throw new TapegradError('requiresGrad_', 'only float32 and float64 tensors can require gradients; got int32');
    this.requiresGrad = value;
    return this;
  }

  /** Keeps the gradient of this non-leaf tensor in `.grad` after backward (PyTorch retain_grad). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new TapegradError('retainGrad', 'tensor does not require grad');
    this.retainsGrad = true;
    // The tape must reach this tensor to set its .grad, even if the program drops its reference.
    this.slot?.hold(this);
    return this;
  }

  /**
   * Registers a hook called with the gradient flowing into this tensor
   * during backward, once it is complete; returning a tensor replaces that
   * gradient (the per-tensor clipping hook).
   */
  registerHook(hook: GradHook): RemovableHandle {
    if (!this.requiresGrad) throw new TapegradError('registerHook', 'cannot register a hook on a tensor that does not require grad');
    (this.hooks ??= []).push(hook);
    // The hook must run even if the program drops this tensor before backward.
    this.slot?.hold(this);
    return {
      remove: () => {
        const i = this.hooks?.indexOf(hook) ?? -1;
        if (i >= 0) this.hooks!.splice(i, 1);
      },
    };
  }

  /** A readable summary: values (abbreviated when large), shape and dtype. */
  toString(): string {
    const fmt = (v: number) => (this.dtype === 'int32' ? String(v) : Number.isInteger(v) ? `${v}.` : v.toPrecision(4));
    const render = (a: NestedArray, depth: number): string => {
      if (!Array.isArray(a)) return fmt(a);
      const items = a.length > 8 ? [...a.slice(0, 3).map((x) => render(x, depth + 1)), '...', ...a.slice(-3).map((x) => render(x, depth + 1))] : a.map((x) => render(x, depth + 1));
      const sep = depth === this.shape.length - 1 ? ', ' : `,\n${' '.repeat(depth + 8)}`;
      return `[${items.join(sep)}]`;
    };
    const grad = this.node ? `, gradFn=${this.node.op}` : this.requiresGrad ? ', requiresGrad=true' : '';
    return `tensor(${render(this.toArray(), 0)}, shape=${formatShape(this.shape)}, dtype=${this.dtype}${grad})`;
  }
}
