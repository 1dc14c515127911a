/**
 * Blocks of the kernel module's linear memory: a first-fit free list with
 * coalescing, over the memory from `start` to its end, growing the memory
 * when no free block fits. Two kinds of users share it: each kernel call's
 * scratch (one arena block, reallocated only when a call needs more) and
 * tensor storage that lives in WebAssembly memory (resident.ts). Blocks are
 * 64-byte aligned, so no two blocks share a cache line (threads write them).
 */
import type { WasmMemory } from './module.js';

const PAGE = 65536;
/** Alignment and granularity of blocks: a cache line. */
export const BLOCK_ALIGN = 64;
const roundUp = (n: number) => Math.ceil(n / BLOCK_ALIGN) * BLOCK_ALIGN;

/** A free range [at, at + size) of the memory. */
interface FreeRange {
  at: number;
  size: number;
}

export class WasmHeap {
  /** Free ranges by address, never adjacent (freeing coalesces). */
  private readonly free: FreeRange[] = [];
  /** Size of each allocated block by its address. */
  private readonly used = new Map<number, number>();
  private usedBytes = 0;

  /** Manages the memory from `start` (rounded up to BLOCK_ALIGN) to its current end. */
  constructor(private readonly memory: WasmMemory, start: number) {
    const at = roundUp(start);
    const end = memory.buffer.byteLength;
    if (end > at) this.free.push({ at, size: end - at });
  }

  /**
   * The address of a new block of at least `bytes` (> 0), or null when the
   * memory cannot grow enough. The block's contents are unspecified.
   */
  alloc(bytes: number): number | null {
    const size = roundUp(Math.max(bytes, 1));
    let i = this.free.findIndex((r) => r.size >= size);
    if (i < 0) {
      if (!this.grow(size)) return null;
      i = this.free.findIndex((r) => r.size >= size);
    }
    const range = this.free[i]!;
    const at = range.at;
    if (range.size === size) this.free.splice(i, 1);
    else {
      range.at += size;
      range.size -= size;
    }
    this.used.set(at, size);
    this.usedBytes += size;
    return at;
  }

  /** Returns a block from alloc and its size in bytes; throws on an address that is not an allocated block (a double free). */
  release(at: number): number {
    const size = this.used.get(at);
    if (size === undefined) throw new RangeError(`WasmHeap: ${at} is not an allocated block`);
    this.used.delete(at);
    this.usedBytes -= size;
    // Insert by address, merging with the neighbours it touches.
    let i = 0;
    while (i < this.free.length && this.free[i]!.at < at) i++;
    const prev = this.free[i - 1], next = this.free[i];
    if (prev && prev.at + prev.size === at) {
      prev.size += size;
      if (next && prev.at + prev.size === next.at) {
        prev.size += next.size;
        this.free.splice(i, 1);
      }
    } else if (next && at + size === next.at) {
      next.at = at;
      next.size += size;
    } else this.free.splice(i, 0, { at, size });
    return size;
  }

  /** The size in bytes of the allocated block at `at` (0 when there is none). */
  sizeOf(at: number): number {
    return this.used.get(at) ?? 0;
  }

  /** Bytes in allocated blocks. */
  get allocatedBytes(): number {
    return this.usedBytes;
  }

  /** The free ranges, by address (for tests). */
  freeRanges(): readonly Readonly<FreeRange>[] {
    return this.free.map((r) => ({ ...r }));
  }

  /** Grows the memory so that a free range of `size` bytes ends it; false when it cannot. */
  private grow(size: number): boolean {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.at + last.size === end ? last.size : 0;
    const pages = Math.ceil((size - tail) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      return false;
    }
    const added = this.memory.buffer.byteLength - end;
    if (tail > 0) last!.size += added;
    else this.free.push({ at: end, size: added });
    return true;
  }
}
