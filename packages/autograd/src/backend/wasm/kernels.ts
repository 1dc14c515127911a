/**
 * The WebAssembly float32 kernels behind the kernel table: gemm and the
 * sequence-fused LSTM forward. Operands live in JS typed arrays, so each call
 * copies its inputs into the module's memory (laid out from the heap base,
 * grown on demand, never shrunk) and its outputs back: O(size of the data)
 * against the O(MNK) or O(T·B·H²) work, a few percent on the shapes of a
 * recurrent training step (bench/ measures it). float64 calls go to the JS
 * kernels: fixtures and gradcheck run in float64 and keep their exact results.
 */
import type { FloatArray } from '../dtype.js';
import type { GemmArgs } from '../matmul.js';
import type { GruBackwardArgs, GruForwardArgs, LstmBackwardArgs, LstmForwardArgs, RnnBackwardArgs, RnnForwardArgs } from '../recurrent.js';
import type { KernelExports } from './module.js';

const align = (n: number) => (n + 15) & ~15;

/** The module's memory as a bump allocator that is reset by every call. */
class Arena {
  private heap: Float32Array;
  private readonly base: number;
  private top = 0;
  constructor(private readonly ex: KernelExports) {
    this.base = align(ex.heapBase());
    this.heap = new Float32Array(ex.memory.buffer);
  }
  /** Byte offsets for regions of the given float counts, 16-byte aligned, after growing memory to fit. */
  layout(...floats: number[]): number[] {
    this.top = this.base;
    const offsets = floats.map((n) => {
      const at = this.top;
      this.top = align(this.top + n * 4);
      return at;
    });
    const have = this.ex.memory.buffer.byteLength;
    if (this.top > have) this.ex.memory.grow(Math.ceil((this.top - have) / 65536));
    if (this.heap.buffer !== this.ex.memory.buffer) this.heap = new Float32Array(this.ex.memory.buffer);
    return offsets;
  }
  write(at: number, src: FloatArray, from = 0, count = src.length - from): void {
    this.heap.set(src.subarray(from, from + count), at >> 2);
  }
  read(at: number, count: number, dst: FloatArray, to = 0): void {
    dst.set(this.heap.subarray(at >> 2, (at >> 2) + count), to);
  }
}

const isF32 = (...xs: FloatArray[]) => xs.every((x) => x instanceof Float32Array);

/** The wasm kernels, falling back to `js` for anything that is not float32. */
/** The JS twins every wasm kernel falls back to. */
interface JsKernels {
  gemm: (args: GemmArgs) => void;
  lstmForward: (args: LstmForwardArgs) => void;
  lstmBackward: (args: LstmBackwardArgs) => void;
  rnnForward: (args: RnnForwardArgs) => void;
  rnnBackward: (args: RnnBackwardArgs) => void;
  gruForward: (args: GruForwardArgs) => void;
  gruBackward: (args: GruBackwardArgs) => void;
}

export function createWasmKernels(ex: KernelExports, js: JsKernels) {
  const arena = new Arena(ex);
  const packFloats = ex.packBytes() / 4;

  function gemm(args: GemmArgs): void {
    const { transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate } = args;
    if (!isF32(a, b, c)) return js.gemm(args);
    const sizeC = M * N;
    if (sizeC === 0) return;
    if (K === 0) {
      if (!accumulate) c.fill(0, cOffset, cOffset + sizeC);
      return;
    }
    const [pack, pa, pb, pc] = arena.layout(packFloats, M * K, K * N, sizeC) as [number, number, number, number];
    arena.write(pa, a, aOffset, M * K);
    arena.write(pb, b, bOffset, K * N);
    if (accumulate) arena.write(pc, c, cOffset, sizeC);
    ex.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pa, pb, pc, accumulate ? 1 : 0, pack);
    arena.read(pc, sizeC, c, cOffset);
  }

  function lstmForward(args: LstmForwardArgs): void {
    const { T, B, H, proj, whh, hs, cs, acts, tanhC, out, batchFirst, reverse } = args;
    if (!isF32(proj, whh, hs, cs, acts, tanhC, out)) return js.lstmForward(args);
    const G = 4 * H;
    const [pack, pProj, pW, pHs, pCs, pActs, pTc, pOut] = arena.layout(packFloats, T * B * G, G * H, (T + 1) * B * H, (T + 1) * B * H, T * B * G, T * B * H, T * B * H) as number[];
    arena.write(pProj!, proj);
    arena.write(pW!, whh);
    arena.write(pHs!, hs, 0, B * H);
    arena.write(pCs!, cs, 0, B * H);
    ex.lstmForward(T, B, H, pProj!, pW!, pHs!, pCs!, pActs!, pTc!, pOut!, batchFirst ? 1 : 0, reverse ? 1 : 0, pack!);
    arena.read(pHs!, (T + 1) * B * H, hs);
    arena.read(pCs!, (T + 1) * B * H, cs);
    arena.read(pActs!, T * B * G, acts);
    arena.read(pTc!, T * B * H, tanhC);
    arena.read(pOut!, T * B * H, out);
  }

  function lstmBackward(args: LstmBackwardArgs): void {
    const { T, B, H, acts, cs, tanhC, hs, whh, gOut, dh, dc, dproj, dw, batchFirst, reverse } = args;
    if (!isF32(acts, cs, tanhC, hs, whh, gOut, dh, dc, dproj) || (dw && !isF32(dw))) return js.lstmBackward(args);
    const G = 4 * H;
    const [pack, pActs, pCs, pTc, pHs, pW, pGo, pDh, pDc, pDp, pDw, pPre, pPrev] = arena.layout(packFloats, T * B * G, (T + 1) * B * H, T * B * H, (T + 1) * B * H, G * H, T * B * H, B * H, B * H, T * B * G, G * H, B * G, B * H) as number[];
    arena.write(pActs!, acts);
    arena.write(pCs!, cs);
    arena.write(pTc!, tanhC);
    arena.write(pHs!, hs);
    arena.write(pW!, whh);
    arena.write(pGo!, gOut);
    arena.write(pDh!, dh);
    arena.write(pDc!, dc);
    ex.lstmBackward(T, B, H, pActs!, pCs!, pTc!, pHs!, pW!, pGo!, pDh!, pDc!, pDp!, pDw!, pPre!, pPrev!, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, pack!);
    arena.read(pDp!, T * B * G, dproj);
    arena.read(pDh!, B * H, dh);
    arena.read(pDc!, B * H, dc);
    if (dw) arena.read(pDw!, G * H, dw);
  }

  function rnnForward(args: RnnForwardArgs): void {
    const { T, B, H, proj, whh, hs, out, relu, batchFirst, reverse } = args;
    if (!isF32(proj, whh, hs, out)) return js.rnnForward(args);
    const [pack, pProj, pW, pHs, pOut] = arena.layout(packFloats, T * B * H, H * H, (T + 1) * B * H, T * B * H) as number[];
    arena.write(pProj!, proj);
    arena.write(pW!, whh);
    arena.write(pHs!, hs, 0, B * H);
    ex.rnnForward(T, B, H, pProj!, pW!, pHs!, pOut!, relu ? 1 : 0, batchFirst ? 1 : 0, reverse ? 1 : 0, pack!);
    arena.read(pHs!, (T + 1) * B * H, hs);
    arena.read(pOut!, T * B * H, out);
  }

  function rnnBackward(args: RnnBackwardArgs): void {
    const { T, B, H, hs, whh, gOut, dh, dproj, dw, relu, batchFirst, reverse } = args;
    if (!isF32(hs, whh, gOut, dh, dproj) || (dw && !isF32(dw))) return js.rnnBackward(args);
    const [pack, pHs, pW, pGo, pDh, pDp, pDw, pPre] = arena.layout(packFloats, (T + 1) * B * H, H * H, T * B * H, B * H, T * B * H, H * H, B * H) as number[];
    arena.write(pHs!, hs);
    arena.write(pW!, whh);
    arena.write(pGo!, gOut);
    arena.write(pDh!, dh);
    ex.rnnBackward(T, B, H, pHs!, pW!, pGo!, pDh!, pDp!, pDw!, pPre!, relu ? 1 : 0, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, pack!);
    arena.read(pDp!, T * B * H, dproj);
    arena.read(pDh!, B * H, dh);
    if (dw) arena.read(pDw!, H * H, dw);
  }

  function gruForward(args: GruForwardArgs): void {
    const { T, B, H, proj, whh, bhh, hs, hps, acts, out, batchFirst, reverse } = args;
    if (!isF32(proj, whh, hs, hps, acts, out) || (bhh && !isF32(bhh))) return js.gruForward(args);
    const G = 3 * H;
    const [pack, pProj, pW, pB, pHs, pHps, pActs, pOut] = arena.layout(packFloats, T * B * G, G * H, G, (T + 1) * B * H, T * B * G, T * B * G, T * B * H) as number[];
    arena.write(pProj!, proj);
    arena.write(pW!, whh);
    if (bhh) arena.write(pB!, bhh);
    arena.write(pHs!, hs, 0, B * H);
    ex.gruForward(T, B, H, pProj!, pW!, bhh ? pB! : 0, pHs!, pHps!, pActs!, pOut!, batchFirst ? 1 : 0, reverse ? 1 : 0, pack!);
    arena.read(pHs!, (T + 1) * B * H, hs);
    arena.read(pHps!, T * B * G, hps);
    arena.read(pActs!, T * B * G, acts);
    arena.read(pOut!, T * B * H, out);
  }

  function gruBackward(args: GruBackwardArgs): void {
    const { T, B, H, hs, hps, acts, whh, gOut, dh, dproj, dw, db, batchFirst, reverse } = args;
    if (!isF32(hs, hps, acts, whh, gOut, dh, dproj) || (dw && !isF32(dw)) || (db && !isF32(db))) return js.gruBackward(args);
    const G = 3 * H;
    const [pack, pHs, pHps, pActs, pW, pGo, pDh, pDp, pDw, pDb, pDhp, pPrev] = arena.layout(packFloats, (T + 1) * B * H, T * B * G, T * B * G, G * H, T * B * H, B * H, T * B * G, G * H, G, B * G, B * H) as number[];
    arena.write(pHs!, hs);
    arena.write(pHps!, hps);
    arena.write(pActs!, acts);
    arena.write(pW!, whh);
    arena.write(pGo!, gOut);
    arena.write(pDh!, dh);
    ex.gruBackward(T, B, H, pHs!, pHps!, pActs!, pW!, pGo!, pDh!, pDp!, pDw!, pDb!, pDhp!, pPrev!, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, db ? 1 : 0, pack!);
    arena.read(pDp!, T * B * G, dproj);
    arena.read(pDh!, B * H, dh);
    if (dw) arena.read(pDw!, G * H, dw);
    if (db) arena.read(pDb!, G, db);
  }

  /** Applies exp (0), σ (1) or tanh (2) with the kernel's SIMD approximations: exported for the accuracy tests. */
  function mapInPlace(kind: 0 | 1 | 2, x: Float32Array): void {
    const [p] = arena.layout(x.length) as [number];
    arena.write(p, x);
    ex.mapInPlace(kind, p, x.length);
    arena.read(p, x.length, x);
  }

  return { gemm, lstmForward, lstmBackward, rnnForward, rnnBackward, gruForward, gruBackward, mapInPlace };
}
