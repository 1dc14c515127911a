/**
 * What the tape keeps of a tensor an op consumed or produced: its identity,
 * shape, dtype and producing record — enough to route gradients, but not the
 * tensor itself, so not its data. A non-leaf tensor has one slot, made when
 * its op records it and shared by every record that consumes it; an
 * intermediate that no backward reads (the output of a matmul that only an
 * add consumed) is then collected as soon as the program drops it, instead of
 * living until backward. Whatever a backward does read, its op saved
 * explicitly.
 *
 * The slot holds the tensor itself only where the walk has to reach the
 * tensor: leaves (backward writes their `.grad`, and reads requiresGrad then),
 * and non-leaves with hooks or retainGrad (the hooks must run, and `.grad` be
 * set, even if the program dropped its own reference).
 */
import type { DType } from './backend/index.js';
import type { TapeRecord } from './tape.js';
import type { Tensor } from './tensor.js';

/** A tensor as a tape record refers to it: id, shape, dtype and producing record, without its data (see the module comment). */
export class TapeSlot {
  /** The tensor's id (gradients are keyed by it). */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** The tensor, where the walk needs it (see above); null otherwise. */
  private held: Tensor | null;

  constructor(t: Tensor, readonly node: TapeRecord | null) {
    this.id = t.id;
    this.shape = t.shape;
    this.dtype = t.dtype;
    this.size = t.size;
    this.held = node === null ? t : null;
  }

  /** The tensor when the slot holds it: always for leaves, for non-leaves once they have hooks or retain their gradient. */
  get tensor(): Tensor | null {
    return this.held;
  }

  /** Whether gradients flow to this tensor: a leaf's current flag; always for a recorded output. */
  get requiresGrad(): boolean {
    return this.held ? this.held.requiresGrad : true;
  }

  /** True for a leaf (a tensor no recorded op produced). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** Keeps the tensor reachable from the tape (registerHook and retainGrad on a non-leaf call this). */
  hold(t: Tensor): void {
    this.held = t;
  }
}
