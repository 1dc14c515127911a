// AssemblyScript: the float32 GEMM of the WebAssembly backend.
//
//   C[M,N] (+)= op(A)·op(B),  element (i,k) of op(A) is A[i·ars + k·aks],
//                             element (k,j) of op(B) is B[k·bks + j·bjs]
//
// GotoBLAS/BLIS structure: B is packed a KC×NC block at a time into panels 8
// columns wide, A an MC×KC block at a time into panels 4 rows high, and a 4×8
// micro-kernel keeps that block of C in eight f32x4 accumulators while k runs
// over the packed panels (two vector loads of B, four broadcasts of A and
// eight multiply-adds per k). 4×8 is the largest block whose accumulators
// stay in V8's registers; larger blocks and unrolling k measured slower
// (shared/notes/wasm-simd-measurements.md). Built twice: with relaxed-SIMD
// fused multiply-add and with plain SIMD (mul + add); the loader picks one.
// Memory is managed by the caller: every pointer is a byte offset it chose.
//
// Subnormal inputs are flushed to zero while packing (DAZ, as GPU and XNNPACK
// kernels do): WebAssembly cannot switch the CPU's denormal mode, and x86
// runs f32 arithmetic on subnormals about 100× slower — the vanishing
// gradients of a long recurrent backward pass (1e-39 and below) made every
// product of a 200-step LSTM 10× slower. The change to a result is below
// 1.2e-38 · Σ|b|.

const MC: i32 = 64;
const KC: i32 = 256;
const NC: i32 = 1024;

/** Bytes the caller must reserve for the two packing buffers. */
export function packBytes(): i32 {
  return (MC * KC + KC * NC) * 4;
}

/** First free byte after the module's static data: the caller's heap starts here. */
export function heapBase(): usize {
  return __heap_base;
}

/** The smallest normal float32, four times: packing compares against it (a table load, not a splat in the loop). */
const MIN_NORMAL = memory.data<f32>([1.17549435e-38, 1.17549435e-38, 1.17549435e-38, 1.17549435e-38], 16);

/** x, or 0 when x is subnormal. */
@inline function daz(x: f32): f32 {
  return abs(x) < 1.17549435e-38 ? 0 : x;
}

/** The four lanes of v, each flushed to 0 when subnormal. */
@inline export function dazv(v: v128): v128 {
  return v128.and(v, f32x4.ge(f32x4.abs(v), v128.load(MIN_NORMAL)));
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Packs rows i0..i0+mc, cols k0..k0+kc of op(A) into 4-row panels: dst[(p·kc + k)·4 + r]; rows past mc are 0. */
function packA(a: usize, ars: i32, aks: i32, i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  for (let p = 0; p < mc; p += 4) {
    const rows = min(4, mc - p);
    let out = dst + <usize>(p * kc) * 4;
    for (let k = 0; k < kc; k++) {
      const base = (k0 + k) * aks;
      for (let r = 0; r < 4; r++) {
        const v: f32 = r < rows ? daz(load<f32>(a + <usize>((i0 + p + r) * ars + base) * 4)) : 0;
        store<f32>(out + <usize>r * 4, v);
      }
      out += 16;
    }
  }
}

/** Packs rows k0..k0+kc, cols j0..j0+nc of op(B) into 8-column panels: dst[(p·kc + k)·8 + c]; cols past nc are 0. */
function packB(b: usize, bks: i32, bjs: i32, k0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let p = 0; p < nc; p += 8) {
    const cols = min(8, nc - p);
    let out = dst + <usize>(p * kc) * 4;
    for (let k = 0; k < kc; k++) {
      const base = (k0 + k) * bks;
      if (cols == 8 && bjs == 1) {
        const src = b + <usize>(base + j0 + p) * 4;
        v128.store(out, dazv(v128.load(src)));
        v128.store(out, dazv(v128.load(src, 16)), 16);
      } else {
        for (let c = 0; c < 8; c++) {
          const v: f32 = c < cols ? daz(load<f32>(b + <usize>(base + (j0 + p + c) * bjs) * 4)) : 0;
          store<f32>(out + <usize>c * 4, v);
        }
      }
      out += 32;
    }
  }
}

/** C[4×8 block at c, row stride ldc floats] += packed A panel · packed B panel over kc; mr×nr of the block is real. */
function kernel(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, mr: i32, nr: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa, 4);
    const a2 = v128.load32_splat(pa, 8);
    const a3 = v128.load32_splat(pa, 12);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += 16;
    pb += 32;
  }
  const row = <usize>ldc * 4;
  if (mr == 4 && nr == 8) {
    let p = c;
    v128.store(p, f32x4.add(v128.load(p), c00));
    v128.store(p, f32x4.add(v128.load(p, 16), c01), 16);
    p += row;
    v128.store(p, f32x4.add(v128.load(p), c10));
    v128.store(p, f32x4.add(v128.load(p, 16), c11), 16);
    p += row;
    v128.store(p, f32x4.add(v128.load(p), c20));
    v128.store(p, f32x4.add(v128.load(p, 16), c21), 16);
    p += row;
    v128.store(p, f32x4.add(v128.load(p), c30));
    v128.store(p, f32x4.add(v128.load(p, 16), c31), 16);
    return;
  }
  // An edge block: spill the accumulators and add only the real part.
  const t = memory.data(128, 16);
  v128.store(t, c00); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const q = c + <usize>r * row + <usize>j * 4;
      store<f32>(q, load<f32>(q) + load<f32>(t + <usize>(r * 8 + j) * 4));
    }
  }
}

/**
 * C (+)= op(A)·op(B) for float32 matrices at byte offsets a, b, c (C is
 * M×N row-major); `pack` points at packBytes() of scratch. Without
 * `accumulate` C is overwritten.
 */
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, pack: usize): void {
  if (!accumulate) memory.fill(c, 0, <usize>(M * N) * 4);
  if (K == 0 || M == 0 || N == 0) return;
  const ars = transA ? 1 : K, aks = transA ? M : 1;
  const bks = transB ? 1 : N, bjs = transB ? K : 1;
  const packedA = pack;
  const packedB = pack + <usize>(MC * KC) * 4;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(b, bks, bjs, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(a, ars, aks, ic, mc, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += 8) {
          const pb = packedB + <usize>(jr * kc) * 4;
          const nr = min(8, nc - jr);
          for (let ir = 0; ir < mc; ir += 4) {
            const pa = packedA + <usize>(ir * kc) * 4;
            kernel(pa, pb, kc, c + <usize>((ic + ir) * N + jc + jr) * 4, N, min(4, mc - ir), nr);
          }
        }
      }
    }
  }
}
