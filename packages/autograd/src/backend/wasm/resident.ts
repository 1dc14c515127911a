/**
 * Float32 tensor storage inside the kernel module's memory, for gradients
 * kept across steps: `zeroGrad({ setToNone: false })` zeroes a gradient in
 * place, and on the WebAssembly backend moves it here the first time. A
 * kernel reads and writes such data in place, with no copy into and out of
 * WebAssembly memory: gradient clipping's norm and scaling passes run at
 * memory bandwidth and on every thread.
 *
 * Why only kept gradients: the block of a view returns to the heap when the
 * collector finalizes the view, and finalizers never run inside a
 * synchronous loop — a training loop that allocated fresh resident
 * gradients every step (the default zeroGrad sets them to null) held every
 * step's gradients until it returned (measured: 400 W2 steps, nothing
 * released). A kept gradient is allocated once per parameter.
 *
 * Only over a shared memory: growing a shared memory leaves the views made
 * before intact (an unshared memory's growth detaches every view, which would
 * empty the tensors). The storage is an ordinary Float32Array view, so every
 * JS kernel and user code read it as before; its block returns to the heap
 * when the view is garbage-collected (FinalizationRegistry). The bytes held
 * at once are capped (`budget`); past the cap a gradient stays an ordinary JS
 * array (correct, just not in place).
 */
import type { FloatArray } from '../dtype.js';
import type { WasmHeap } from './heap.js';
import type { WasmMemory } from './module.js';

export class ResidentStorage {
  /** The SharedArrayBuffer objects views were made on (one per size of the memory). */
  private readonly buffers = new WeakSet<object>();
  private readonly registry: FinalizationRegistry<number>;
  private live = 0;

  constructor(private readonly blocks: WasmHeap, private readonly memory: WasmMemory, readonly budget: number) {
    this.registry = new FinalizationRegistry((at: number) => {
      this.live -= this.blocks.release(at);
    });
  }

  /** Bytes held by resident storage that has not been collected yet. */
  get liveBytes(): number {
    return this.live;
  }

  /** n resident zeros, or null when the budget or the memory does not allow them. */
  zeros(n: number): Float32Array | null {
    const bytes = n * 4;
    if (bytes === 0 || this.live + bytes > this.budget) return null;
    const at = this.blocks.alloc(bytes);
    if (at === null) return null;
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    const view = new Float32Array(buffer, at, n);
    view.fill(0);
    this.registry.register(view, at);
    this.live += this.blocks.sizeOf(at);
    return view;
  }

  /** The byte offset of `x` in the module's memory when x is resident storage (or a view into it), else −1. */
  offsetOf(x: FloatArray): number {
    return x instanceof Float32Array && this.buffers.has(x.buffer) ? x.byteOffset : -1;
  }
}
