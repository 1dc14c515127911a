/**
 * The WebAssembly float32 kernels behind the kernel table: gemm and the
 * sequence-fused recurrent layers' forward and backward loops, and the
 * clipping passes. Most operands live in JS typed arrays, so each call
 * copies its inputs into the module's memory (one scratch block, grown on
 * demand, never shrunk) and its outputs back: O(size of the data) against the
 * O(MNK) or O(T·B·H²) work, a few percent on the shapes of a recurrent
 * training step (bench/ measures it). Gradients kept across steps
 * (zeroGrad({ setToNone: false })) are the exception where the memory is
 * shared: they move into it (resident.ts), because the clipping passes are
 * O(size) and a copy would cost more than the pass. float64 calls go to the JS
 * kernels: fixtures and gradcheck run in float64 and keep their exact results.
 */
import type { AdamUpdateArgs } from '../adam.js';
import type { FloatArray } from '../dtype.js';
import { SUM_SQUARES_BLOCK } from '../reduce.js';
import type { GemmArgs, LinearBackwardArgs, LinearForwardArgs } from '../matmul.js';
import type { GruBackwardArgs, GruForwardArgs, LstmBackwardArgs, LstmForwardArgs, LstmLayerBackwardArgs, LstmLayerForwardArgs, RnnBackwardArgs, RnnForwardArgs } from '../recurrent.js';
import { WasmHeap } from './heap.js';
import type { KernelExports } from './module.js';
import { ResidentStorage } from './resident.js';

const align = (n: number) => (n + 15) & ~15;

/**
 * Each call's scratch: one block of the module's memory (heap.ts), laid out
 * afresh by every call and reallocated only when a call needs more than it
 * holds. The threads' control block sits first, on its own cache lines, and
 * is never part of the heap.
 */
class Arena {
  private heap: Float32Array;
  /** Byte offset of the control block the threaded gemm and its workers share. */
  readonly ctl: number;
  /** The blocks of memory after the control block: this arena's, and resident tensor storage. */
  readonly blocks: WasmHeap;
  private at = -1;
  private size = 0;
  constructor(private readonly ex: KernelExports) {
    this.ctl = (ex.heapBase() + 63) & ~63;
    const base = align(this.ctl + ex.ctlBytes());
    const have = ex.memory.buffer.byteLength;
    if (base > have) ex.memory.grow(Math.ceil((base - have) / 65536));
    this.blocks = new WasmHeap(ex.memory, base);
    this.heap = new Float32Array(ex.memory.buffer);
  }
  /**
   * Byte offsets for regions of the given float counts, 16-byte aligned,
   * after growing the arena to fit; null when the memory cannot grow that
   * far (the caller then runs the JS kernel).
   */
  layout(...floats: number[]): number[] | null {
    let top = 0;
    const offsets = floats.map((n) => {
      const at = top;
      top = align(top + n * 4);
      return at;
    });
    if (top > this.size) {
      if (this.at >= 0) this.blocks.release(this.at);
      this.at = -1;
      // A quarter more than asked, so a sequence of growing calls does not reallocate every time.
      for (const size of [Math.max(top, Math.ceil(this.size * 1.25)), top]) {
        const at = this.blocks.alloc(size);
        if (at !== null) {
          this.at = at;
          this.size = size;
          break;
        }
      }
      if (this.at < 0) {
        this.size = 0;
        return null;
      }
    }
    if (this.heap.buffer !== this.ex.memory.buffer || this.heap.length * 4 !== this.ex.memory.buffer.byteLength) this.heap = new Float32Array(this.ex.memory.buffer);
    return offsets.map((o) => o + this.at);
  }
  write(at: number, src: FloatArray, from = 0, count = src.length - from): void {
    this.heap.set(src.subarray(from, from + count), at >> 2);
  }
  read(at: number, count: number, dst: FloatArray, to = 0): void {
    dst.set(this.heap.subarray(at >> 2, (at >> 2) + count), to);
  }
  /** `count` float64 values at byte offset `at` (8-aligned), as a view valid until the next layout. */
  f64(at: number, count: number): Float64Array {
    return new Float64Array(this.heap.buffer, at, count);
  }
}

/** Floats of a K×N operand packed once for a whole sequence (wasm/gemm.ts packedBFloats: N rounded up to the 8-column panel). */
const packedFloats = (K: number, N: number) => K * ((N + 7) & ~7);

const isF32 = (...xs: FloatArray[]) => xs.every((x) => x instanceof Float32Array);

/** The wasm kernels, falling back to `js` for anything that is not float32. */
/** The JS twins every wasm kernel falls back to. */
interface JsKernels {
  gemm: (args: GemmArgs) => void;
  linearForward: (args: LinearForwardArgs) => void;
  linearBackward: (args: LinearBackwardArgs) => void;
  lstmForward: (args: LstmForwardArgs) => void;
  lstmBackward: (args: LstmBackwardArgs) => void;
  lstmLayerForward: (args: LstmLayerForwardArgs) => void;
  lstmLayerBackward: (args: LstmLayerBackwardArgs) => void;
  rnnForward: (args: RnnForwardArgs) => void;
  rnnBackward: (args: RnnBackwardArgs) => void;
  gruForward: (args: GruForwardArgs) => void;
  gruBackward: (args: GruBackwardArgs) => void;
  sumSquares: (x: FloatArray) => number;
  scaleInPlace: (x: FloatArray, s: number) => void;
  addInPlace: (acc: FloatArray, g: FloatArray) => void;
  zeroKept: (data: FloatArray) => FloatArray;
  adamUpdate: (args: AdamUpdateArgs) => void;
}

/** What a resident allocation must hold at least to be placed in WebAssembly memory (smaller ones are not worth a block). */
const RESIDENT_MIN_FLOATS = 1024;
/**
 * From this size a float32 JS array's sum of squares and in-place scaling
 * stream through WebAssembly memory. Measured (bench/ab/streamed-clip.ts, ns
 * per element, JS loop vs streamed): Σx² 0.84 vs 0.79 at 1024, 0.91 vs 1.15
 * at 256, 0.78 vs 0.46 from 16k; scaling 2.3 vs 0.83 at 1024, 2.2 vs 0.45
 * from 16k (the JS loop converts every element to float64 and back), already
 * ahead at 256. One threshold for both, at the sum's crossing.
 */
const STREAMED_MIN_FLOATS = 1024;
/**
 * Floats streamed per call: whole SUM_SQUARES_BLOCKs, 256 KB — in cache
 * between the copy and the kernel, few enough calls that their cost does not
 * show, and below the size the module would split between threads.
 */
const STREAM_FLOATS = 4 * SUM_SQUARES_BLOCK;
/** Elements of each of Adam's four or five arrays per call: 64 KB each, the chunk stays in cache between copy, kernel and copy back. */
const ADAM_CHUNK = 16384;
/** The most bytes of resident storage held at once (see resident.ts: past it, storage is a JS array). */
const RESIDENT_BUDGET = 1024 * 1024 * 1024;

/**
 * The kernel table entries over one loaded module. `threads()` is the number
 * of threads the module's gemm may split a product between right now: each
 * gets its own packing scratch.
 */
export function createWasmKernels(ex: KernelExports, js: JsKernels, threads: () => number = () => 1, options: { resident?: boolean } = {}) {
  const arena = new Arena(ex);
  /** Storage inside the module's memory, only where that memory is shared (resident.ts). */
  const resident = options.resident && typeof FinalizationRegistry === 'function' ? new ResidentStorage(arena.blocks, ex.memory, RESIDENT_BUDGET) : null;
  const packOne = ex.packBytes() / 4;
  /** Packing scratch for every thread that may take part, reserved first in each call's layout. */
  const packFloats0 = () => packOne * threads();

  function gemm(args: GemmArgs): void {
    const { transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate } = args;
    if (!isF32(a, b, c)) return js.gemm(args);
    const sizeC = M * N;
    if (sizeC === 0) return;
    if (K === 0) {
      if (!accumulate) c.fill(0, cOffset, cOffset + sizeC);
      return;
    }
    const lay = arena.layout(packFloats0(), M * K, K * N, sizeC);
    if (!lay) return js.gemm(args);
    const [pack, pa, pb, pc] = lay as [number, number, number, number];
    arena.write(pa, a, aOffset, M * K);
    arena.write(pb, b, bOffset, K * N);
    if (accumulate) arena.write(pc, c, cOffset, sizeC);
    ex.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pa, pb, pc, accumulate ? 1 : 0, pack);
    arena.read(pc, sizeC, c, cOffset);
  }

  /** linear in one call: x, W (and the bias) cross once; the bias is broadcast in WebAssembly, not copied in as a full output. */
  function linearForward(args: LinearForwardArgs): void {
    const { rows, inF, outF, x, w, bias, out } = args;
    if (!isF32(x, w, out) || (bias && !isF32(bias))) return js.linearForward(args);
    if (rows * outF === 0) return;
    const lay = arena.layout(packFloats0(), rows * inF, outF * inF, outF, rows * outF);
    if (!lay) return js.linearForward(args);
    const [pack, px, pw, pb, pOut] = lay as number[];
    arena.write(px!, x, 0, rows * inF);
    arena.write(pw!, w, 0, outF * inF);
    if (bias) arena.write(pb!, bias, 0, outF);
    ex.linearForward(rows, inF, outF, px!, pw!, bias ? pb! : 0, pOut!, pack!);
    arena.read(pOut!, rows * outF, out);
  }

  /** linear's three gradients in one call: g crosses once for all of them. */
  function linearBackward(args: LinearBackwardArgs): void {
    const { rows, inF, outF, g, x, w, gx, gw, gb } = args;
    if (!isF32(g, x, w) || (gx && !isF32(gx)) || (gw && !isF32(gw)) || (gb && !isF32(gb))) return js.linearBackward(args);
    if (rows * outF === 0 || rows * inF === 0) return js.linearBackward(args);
    const lay = arena.layout(packFloats0(), rows * outF, rows * inF, outF * inF, rows * inF, outF * inF, outF, 2 * outF);
    if (!lay) return js.linearBackward(args);
    const [pack, pg, px, pw, pgx, pgw, pgb, scratch] = lay as number[];
    arena.write(pg!, g, 0, rows * outF);
    if (gw) arena.write(px!, x, 0, rows * inF);
    if (gx) arena.write(pw!, w, 0, outF * inF);
    ex.linearBackward(rows, inF, outF, pg!, px!, pw!, gx ? pgx! : 0, gw ? pgw! : 0, gb ? pgb! : 0, pack!, scratch!);
    if (gx) arena.read(pgx!, rows * inF, gx);
    if (gw) arena.read(pgw!, outF * inF, gw);
    if (gb) arena.read(pgb!, outF, gb);
  }

  /** Region offsets of one LSTM sequence call (see lstmForward's layout). */
  type LstmForwardRegions = { pack: number; pProj: number; pW: number; pHs: number; pCs: number; pActs: number; pTc: number; pOut: number; pPacked: number };

  /** The sequence part of an LSTM forward, once proj is in place at pProj: states in, kernel, saved activations and outputs back. */
  function runLstmForward(r: LstmForwardRegions, args: Omit<LstmForwardArgs, 'proj'>): void {
    const { T, B, H, whh, hs, cs, acts, tanhC, out, batchFirst, reverse } = args;
    arena.write(r.pW, whh);
    arena.write(r.pHs, hs, 0, B * H);
    arena.write(r.pCs, cs, 0, B * H);
    ex.lstmForward(T, B, H, r.pProj, r.pW, r.pHs, r.pCs, r.pActs, r.pTc, r.pOut, batchFirst ? 1 : 0, reverse ? 1 : 0, r.pack, r.pPacked);
    arena.read(r.pHs, (T + 1) * B * H, hs);
    arena.read(r.pCs, (T + 1) * B * H, cs);
    arena.read(r.pActs, T * B * 4 * H, acts);
    arena.read(r.pTc, T * B * H, tanhC);
    arena.read(r.pOut, T * B * H, out);
  }

  /** The floats of each region of an LSTM sequence forward, in the order LstmForwardRegions lists them after pack. */
  const lstmForwardFloats = (T: number, B: number, H: number) => [T * B * 4 * H, 4 * H * H, (T + 1) * B * H, (T + 1) * B * H, T * B * 4 * H, T * B * H, T * B * H, packedFloats(H, 4 * H)];
  const lstmForwardRegions = (o: number[]): LstmForwardRegions => {
    const [pack, pProj, pW, pHs, pCs, pActs, pTc, pOut, pPacked] = o as [number, number, number, number, number, number, number, number, number];
    return { pack, pProj, pW, pHs, pCs, pActs, pTc, pOut, pPacked };
  };

  function lstmForward(args: LstmForwardArgs): void {
    const { T, B, H, proj, whh, hs, cs, acts, tanhC, out } = args;
    if (!isF32(proj, whh, hs, cs, acts, tanhC, out)) return js.lstmForward(args);
    const lay = arena.layout(packFloats0(), ...lstmForwardFloats(T, B, H));
    if (!lay) return js.lstmForward(args);
    const r = lstmForwardRegions(lay);
    arena.write(r.pProj, proj);
    runLstmForward(r, args);
  }

  /** Region offsets of one LSTM sequence backward (see lstmBackward's layout). */
  type LstmBackwardRegions = { pack: number; pActs: number; pCs: number; pTc: number; pHs: number; pW: number; pGo: number; pDh: number; pDc: number; pDp: number; pDw: number; pPre: number; pPrev: number; pPacked: number };

  const lstmBackwardFloats = (T: number, B: number, H: number) => {
    const G = 4 * H;
    return [T * B * G, (T + 1) * B * H, T * B * H, (T + 1) * B * H, G * H, T * B * H, B * H, B * H, T * B * G, G * H, T * B * G, B * H, packedFloats(G, H)];
  };
  const lstmBackwardRegions = (o: number[]): LstmBackwardRegions => {
    const [pack, pActs, pCs, pTc, pHs, pW, pGo, pDh, pDc, pDp, pDw, pPre, pPrev, pPacked] = o as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    return { pack, pActs, pCs, pTc, pHs, pW, pGo, pDh, pDc, pDp, pDw, pPre, pPrev, pPacked };
  };

  /** The sequence part of an LSTM backward: saved activations and upstream gradients in, kernel (dproj left at pDp), dh0, dc0, dW_hh back. */
  function runLstmBackward(r: LstmBackwardRegions, args: Omit<LstmBackwardArgs, 'dproj'>): void {
    const { T, B, H, acts, cs, tanhC, hs, whh, gOut, dh, dc, dw, batchFirst, reverse } = args;
    arena.write(r.pActs, acts);
    arena.write(r.pCs, cs);
    arena.write(r.pTc, tanhC);
    arena.write(r.pHs, hs);
    arena.write(r.pW, whh);
    arena.write(r.pGo, gOut);
    arena.write(r.pDh, dh);
    arena.write(r.pDc, dc);
    ex.lstmBackward(T, B, H, r.pActs, r.pCs, r.pTc, r.pHs, r.pW, r.pGo, r.pDh, r.pDc, r.pDp, r.pDw, r.pPre, r.pPrev, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, r.pack, r.pPacked);
    arena.read(r.pDh, B * H, dh);
    arena.read(r.pDc, B * H, dc);
    if (dw) arena.read(r.pDw, 4 * H * H, dw);
  }

  function lstmBackward(args: LstmBackwardArgs): void {
    const { T, B, H, acts, cs, tanhC, hs, whh, gOut, dh, dc, dproj, dw } = args;
    if (!isF32(acts, cs, tanhC, hs, whh, gOut, dh, dc, dproj) || (dw && !isF32(dw))) return js.lstmBackward(args);
    const lay = arena.layout(packFloats0(), ...lstmBackwardFloats(T, B, H));
    if (!lay) return js.lstmBackward(args);
    const r = lstmBackwardRegions(lay);
    runLstmBackward(r, args);
    arena.read(r.pDp, T * B * 4 * H, dproj);
  }

  /**
   * A whole LSTM layer in one call: x·W_ihᵀ + bias goes into WebAssembly memory and stays there for the
   * sequence kernel (the projection, 4H values per row, is neither copied out nor back in: 14 MB of
   * copies per step of a B64 T28 H128 layer, forward and backward).
   */
  function lstmLayerForward(args: LstmLayerForwardArgs): void {
    const { T, B, H, I, x, wih, bias, whh, hs, cs, acts, tanhC, out } = args;
    if (!isF32(x, wih, whh, hs, cs, acts, tanhC, out) || (bias && !isF32(bias))) return js.lstmLayerForward(args);
    const G = 4 * H, rows = T * B;
    const lay = arena.layout(packFloats0(), ...lstmForwardFloats(T, B, H), rows * I, G * I, G);
    if (!lay) return js.lstmLayerForward(args);
    const r = lstmForwardRegions(lay);
    const [px, pWih, pBias] = lay.slice(9) as [number, number, number];
    arena.write(px, x, 0, rows * I);
    arena.write(pWih, wih, 0, G * I);
    if (bias) arena.write(pBias, bias, 0, G);
    ex.linearForward(rows, I, G, px, pWih, bias ? pBias : 0, r.pProj, r.pack);
    runLstmForward(r, args);
  }

  /** Its backward in one call: dproj stays in WebAssembly memory between the sequence's backward and linear's. */
  function lstmLayerBackward(args: LstmLayerBackwardArgs): void {
    const { T, B, H, I, acts, cs, tanhC, hs, whh, gOut, dh, dc, dw, x, wih, gx, gwih, gbias } = args;
    if (!isF32(acts, cs, tanhC, hs, whh, gOut, dh, dc, x, wih) || (dw && !isF32(dw)) || (gx && !isF32(gx)) || (gwih && !isF32(gwih)) || (gbias && !isF32(gbias))) return js.lstmLayerBackward(args);
    const G = 4 * H, rows = T * B;
    const lay = arena.layout(packFloats0(), ...lstmBackwardFloats(T, B, H), rows * I, G * I, rows * I, G * I, G, 2 * G);
    if (!lay) return js.lstmLayerBackward(args);
    const r = lstmBackwardRegions(lay);
    const [px, pWih, pgx, pgw, pgb, scratch] = lay.slice(14) as [number, number, number, number, number, number];
    if (gwih) arena.write(px, x, 0, rows * I);
    if (gx) arena.write(pWih, wih, 0, G * I);
    runLstmBackward(r, args);
    if (gx || gwih || gbias) ex.linearBackward(rows, I, G, r.pDp, px, pWih, gx ? pgx : 0, gwih ? pgw : 0, gbias ? pgb : 0, r.pack, scratch);
    if (gx) arena.read(pgx, rows * I, gx);
    if (gwih) arena.read(pgw, G * I, gwih);
    if (gbias) arena.read(pgb, G, gbias);
  }

  function rnnForward(args: RnnForwardArgs): void {
    const { T, B, H, proj, whh, hs, out, relu, batchFirst, reverse } = args;
    if (!isF32(proj, whh, hs, out)) return js.rnnForward(args);
    const lay = arena.layout(packFloats0(), T * B * H, H * H, (T + 1) * B * H, T * B * H, packedFloats(H, H));
    if (!lay) return js.rnnForward(args);
    const [pack, pProj, pW, pHs, pOut, pPacked] = lay as number[];
    arena.write(pProj!, proj);
    arena.write(pW!, whh);
    arena.write(pHs!, hs, 0, B * H);
    ex.rnnForward(T, B, H, pProj!, pW!, pHs!, pOut!, relu ? 1 : 0, batchFirst ? 1 : 0, reverse ? 1 : 0, pack!, pPacked!);
    arena.read(pHs!, (T + 1) * B * H, hs);
    arena.read(pOut!, T * B * H, out);
  }

  function rnnBackward(args: RnnBackwardArgs): void {
    const { T, B, H, hs, whh, gOut, dh, dproj, dw, relu, batchFirst, reverse } = args;
    if (!isF32(hs, whh, gOut, dh, dproj) || (dw && !isF32(dw))) return js.rnnBackward(args);
    const lay = arena.layout(packFloats0(), (T + 1) * B * H, H * H, T * B * H, B * H, T * B * H, H * H, T * B * H, packedFloats(H, H));
    if (!lay) return js.rnnBackward(args);
    const [pack, pHs, pW, pGo, pDh, pDp, pDw, pPre, pPacked] = lay as number[];
    arena.write(pHs!, hs);
    arena.write(pW!, whh);
    arena.write(pGo!, gOut);
    arena.write(pDh!, dh);
    ex.rnnBackward(T, B, H, pHs!, pW!, pGo!, pDh!, pDp!, pDw!, pPre!, relu ? 1 : 0, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, pack!, pPacked!);
    arena.read(pDp!, T * B * H, dproj);
    arena.read(pDh!, B * H, dh);
    if (dw) arena.read(pDw!, H * H, dw);
  }

  function gruForward(args: GruForwardArgs): void {
    const { T, B, H, proj, whh, bhh, hs, hps, acts, out, batchFirst, reverse } = args;
    if (!isF32(proj, whh, hs, hps, acts, out) || (bhh && !isF32(bhh))) return js.gruForward(args);
    const G = 3 * H;
    const lay = arena.layout(packFloats0(), T * B * G, G * H, G, (T + 1) * B * H, T * B * G, T * B * G, T * B * H, packedFloats(H, G));
    if (!lay) return js.gruForward(args);
    const [pack, pProj, pW, pB, pHs, pHps, pActs, pOut, pPacked] = lay as number[];
    arena.write(pProj!, proj);
    arena.write(pW!, whh);
    if (bhh) arena.write(pB!, bhh);
    arena.write(pHs!, hs, 0, B * H);
    ex.gruForward(T, B, H, pProj!, pW!, bhh ? pB! : 0, pHs!, pHps!, pActs!, pOut!, batchFirst ? 1 : 0, reverse ? 1 : 0, pack!, pPacked!);
    arena.read(pHs!, (T + 1) * B * H, hs);
    arena.read(pHps!, T * B * G, hps);
    arena.read(pActs!, T * B * G, acts);
    arena.read(pOut!, T * B * H, out);
  }

  function gruBackward(args: GruBackwardArgs): void {
    const { T, B, H, hs, hps, acts, whh, gOut, dh, dproj, dw, db, batchFirst, reverse } = args;
    if (!isF32(hs, hps, acts, whh, gOut, dh, dproj) || (dw && !isF32(dw)) || (db && !isF32(db))) return js.gruBackward(args);
    const G = 3 * H;
    const lay = arena.layout(packFloats0(), (T + 1) * B * H, T * B * G, T * B * G, G * H, T * B * H, B * H, T * B * G, G * H, G, T * B * G, B * H, packedFloats(G, H));
    if (!lay) return js.gruBackward(args);
    const [pack, pHs, pHps, pActs, pW, pGo, pDh, pDp, pDw, pDb, pDhp, pPrev, pPacked] = lay as number[];
    arena.write(pHs!, hs);
    arena.write(pHps!, hps);
    arena.write(pActs!, acts);
    arena.write(pW!, whh);
    arena.write(pGo!, gOut);
    arena.write(pDh!, dh);
    ex.gruBackward(T, B, H, pHs!, pHps!, pActs!, pW!, pGo!, pDh!, pDp!, pDw!, pDb!, pDhp!, pPrev!, batchFirst ? 1 : 0, reverse ? 1 : 0, dw ? 1 : 0, db ? 1 : 0, pack!, pPacked!);
    arena.read(pDp!, T * B * G, dproj);
    arena.read(pDh!, B * H, dh);
    if (dw) arena.read(pDw!, G * H, dw);
    if (db) arena.read(pDb!, G, db);
  }

  /** Applies exp (0), σ (1) or tanh (2) with the kernel's SIMD approximations: exported for the accuracy tests. */
  function mapInPlace(kind: 0 | 1 | 2, x: Float32Array): void {
    const lay = arena.layout(x.length);
    if (!lay) throw new RangeError('mapInPlace: the WebAssembly memory cannot grow to hold the input');
    const [p] = lay as [number];
    arena.write(p, x);
    ex.mapInPlace(kind, p, x.length);
    arena.read(p, x.length, x);
  }

  /** Kept gradient storage, zeroed: moved once into the module's memory where it can be, so clipping works on it in place. */
  function zeroKept(data: FloatArray): FloatArray {
    const at = resident ? resident.offsetOf(data) : -1;
    if (at >= 0) {
      ex.zeroF32(at, data.length);
      return data;
    }
    if (resident && data instanceof Float32Array && data.length >= RESIDENT_MIN_FLOATS) {
      const zeros = resident.zeros(data.length);
      if (zeros) return zeros;
    }
    return js.zeroKept(data);
  }

  /** acc ← acc + g: for a resident acc (a kept gradient), g is copied in once and added in SIMD on all threads. */
  function addInPlace(acc: FloatArray, g: FloatArray): void {
    const at = resident ? resident.offsetOf(acc) : -1;
    if (at < 0 || !(g instanceof Float32Array) || acc.length < RESIDENT_MIN_FLOATS) return js.addInPlace(acc, g);
    threads();
    const lay = arena.layout(g.length);
    if (!lay) return js.addInPlace(acc, g);
    arena.write(lay[0]!, g);
    ex.addF32(at, lay[0]!, acc.length);
  }

  /**
   * Σx² in float64, in the order of the JS twin (reduce.ts sumSquares32), so
   * the bits do not depend on where the data live: resident data in place on
   * all threads; a float32 JS array of STREAMED_MIN_FLOATS or more
   * STREAM_FLOATS at a time through the arena (the copy runs at memcpy
   * speed, the SIMD sum on data in cache); anything else in JS.
   */
  function sumSquares(x: FloatArray): number {
    const at = resident ? resident.offsetOf(x) : -1;
    if (at >= 0 && x.length > 0) {
      threads(); // starts the workers on first use
      const lay = arena.layout(ex.sumSquaresScratch(x.length) / 4);
      if (lay) return ex.sumSquaresF32(at, x.length, lay[0]!);
    }
    if (!(x instanceof Float32Array) || x.length < STREAMED_MIN_FLOATS) return js.sumSquares(x);
    const lay = arena.layout(STREAM_FLOATS, ex.sumSquaresScratch(STREAM_FLOATS) / 4);
    if (!lay) return js.sumSquares(x);
    const [chunk, partials] = lay as [number, number];
    let total = 0;
    for (let from = 0; from < x.length; from += STREAM_FLOATS) {
      const count = Math.min(STREAM_FLOATS, x.length - from);
      arena.write(chunk, x, from, count);
      ex.sumSquaresF32(chunk, count, partials);
      // The kernel leaves each block's sum in partials; adding them here, in block order, is the JS twin's order over the whole array.
      const sums = arena.f64(partials, Math.ceil(count / SUM_SQUARES_BLOCK));
      for (let b = 0; b < sums.length; b++) total += sums[b]!;
    }
    return total;
  }

  /**
   * x ← s·x in float32 (bitwise the JS loop's products): resident data in
   * place on all threads; a float32 JS array of STREAMED_MIN_FLOATS or more
   * streamed through the arena in SIMD; anything else in JS.
   */
  function scaleInPlace(x: FloatArray, s: number): void {
    if (s === 1) return;
    const at = resident ? resident.offsetOf(x) : -1;
    if (at >= 0) {
      threads();
      ex.scaleF32(at, x.length, s);
      return;
    }
    if (!(x instanceof Float32Array) || x.length < STREAMED_MIN_FLOATS) return js.scaleInPlace(x, s);
    const lay = arena.layout(STREAM_FLOATS);
    if (!lay) return js.scaleInPlace(x, s);
    const chunk = lay[0]!;
    for (let from = 0; from < x.length; from += STREAM_FLOATS) {
      const count = Math.min(STREAM_FLOATS, x.length - from);
      arena.write(chunk, x, from, count);
      ex.scaleF32(chunk, count, s);
      arena.read(chunk, count, x, from);
    }
  }

  /**
   * Adam's update over float32 arrays of STREAMED_MIN_FLOATS or more:
   * parameter, gradient and state streamed through the arena ADAM_CHUNK
   * elements at a time, updated two elements per f64x2 in the JS twin's
   * float64 order (bitwise its result), and copied back; anything else in JS.
   */
  function adamUpdate(args: AdamUpdateArgs): void {
    const { p, grad, m, v, vmax } = args;
    const n = p.length;
    if (n < STREAMED_MIN_FLOATS || !isF32(p, grad, m, v) || (vmax && !isF32(vmax))) return js.adamUpdate(args);
    const lay = arena.layout(ADAM_CHUNK, ADAM_CHUNK, ADAM_CHUNK, ADAM_CHUNK, vmax ? ADAM_CHUNK : 0); // θ, g, m, v, v̂
    if (!lay) return js.adamUpdate(args);
    const [pp, pg, pm, pv, pvmax] = lay as [number, number, number, number, number];
    const { b1, b2, stepSize, bc2Sqrt, eps, sign, l2, decay, keras } = args;
    // A gradient kept in WebAssembly memory is read where it lives.
    const gAt = resident ? resident.offsetOf(grad) : -1;
    for (let from = 0; from < n; from += ADAM_CHUNK) {
      const count = Math.min(ADAM_CHUNK, n - from);
      arena.write(pp, p, from, count);
      if (gAt < 0) arena.write(pg, grad, from, count);
      arena.write(pm, m, from, count);
      arena.write(pv, v, from, count);
      if (vmax) arena.write(pvmax, vmax, from, count);
      ex.adamF32(pp, gAt < 0 ? pg : gAt + from * 4, pm, pv, vmax ? pvmax : 0, count, b1, b2, stepSize, bc2Sqrt, eps, sign, l2, decay, keras ? 1 : 0);
      arena.read(pp, count, p, from);
      arena.read(pm, count, m, from);
      arena.read(pv, count, v, from);
      if (vmax) arena.read(pvmax, count, vmax, from);
    }
  }

  return { adamUpdate, gemm, linearForward, linearBackward, lstmForward, lstmBackward, lstmLayerForward, lstmLayerBackward, rnnForward, rnnBackward, gruForward, gruBackward, mapInPlace, sumSquares, scaleInPlace, addInPlace, zeroKept, ctl: arena.ctl, residentBytes: () => resident?.liveBytes ?? 0 };
}
