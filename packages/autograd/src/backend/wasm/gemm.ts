/**
 * The WebAssembly float32 gemm behind the kernel table's `gemm` entry. The
 * operands live in JS typed arrays, so each call copies A, B (and C when
 * accumulating) into the module's memory and C back out: O(MK + KN + MN)
 * against the O(MNK) product, a few percent of the kernel on the shapes of a
 * recurrent training step (bench/ measures it). float64 calls go to the JS
 * kernel: fixtures and gradcheck run in float64 and keep its exact results.
 */
import type { FloatArray } from '../dtype.js';
import type { GemmArgs } from '../matmul.js';
import type { KernelExports } from './module.js';

const align = (n: number) => (n + 15) & ~15;

/** A gemm that runs float32 products in WebAssembly and hands anything else to `fallback`. */
export function createWasmGemm(ex: KernelExports, fallback: (args: GemmArgs) => void): (args: GemmArgs) => void {
  const base = align(ex.heapBase());
  const packBytes = ex.packBytes();
  let heap = new Float32Array(ex.memory.buffer);

  /** Grows the module's memory to hold `bytes` past the heap base (it never shrinks). */
  function reserve(bytes: number): void {
    const need = base + bytes;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536));
    if (heap.buffer !== ex.memory.buffer) heap = new Float32Array(ex.memory.buffer);
  }

  return function wasmGemm(args: GemmArgs): void {
    const { transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate } = args;
    if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) return fallback(args);
    const sizeA = M * K, sizeB = K * N, sizeC = M * N;
    if (sizeC === 0) return;
    if (K === 0) {
      if (!accumulate) c.fill(0, cOffset, cOffset + sizeC);
      return;
    }
    const pack = base;
    const pa = align(pack + packBytes);
    const pb = align(pa + sizeA * 4);
    const pc = align(pb + sizeB * 4);
    reserve(pc + sizeC * 4 - base);
    heap.set(a.subarray(aOffset, aOffset + sizeA), pa >> 2);
    heap.set(b.subarray(bOffset, bOffset + sizeB), pb >> 2);
    if (accumulate) heap.set(c.subarray(cOffset, cOffset + sizeC), pc >> 2);
    ex.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pa, pb, pc, accumulate ? 1 : 0, pack);
    (c as FloatArray).set(heap.subarray(pc >> 2, (pc >> 2) + sizeC), cOffset);
  };
}
