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

/** Bytes of one thread's scratch: the two packing buffers and the micro-kernel's 4×8 spill block. */
export function packBytes(): i32 {
  return (MC * KC + KC * NC) * 4 + 128;
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

/**
 * Stores the 4×4 block whose rows are r0..r3 transposed: column c of the
 * block to dst + c·stride (four floats each).
 */
@inline function storeTransposed(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/**
 * Packs rows i0..i0+mc, cols k0..k0+kc of op(A) into 4-row panels:
 * dst[(p·kc + k)·4 + r]; rows past mc are 0. Full panels move four floats
 * at a time: a transposed A has the panel's four rows side by side (one
 * load per k), a plain A has them K apart (four loads of four k, then a
 * 4×4 transpose in registers). Packing is O(M·K) against the O(M·N·K)
 * product, but done a float at a time it cost as much as the product when N
 * is small (the 512×28×1792 weight gradient of an input projection).
 */
function packA(a: usize, ars: i32, aks: i32, i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  for (let p = 0; p < mc; p += 4) {
    const rows = min(4, mc - p);
    let out = dst + <usize>(p * kc) * 4;
    let k = 0;
    if (rows == 4 && ars == 1) {
      for (; k < kc; k++) {
        v128.store(out, dazv(v128.load(a + <usize>(i0 + p + (k0 + k) * aks) * 4)));
        out += 16;
      }
    } else if (rows == 4 && aks == 1) {
      const r0 = a + <usize>((i0 + p) * ars + k0) * 4;
      const stride = <usize>ars * 4;
      for (; k + 4 <= kc; k += 4) {
        const src = r0 + <usize>k * 4;
        storeTransposed(dazv(v128.load(src)), dazv(v128.load(src + stride)), dazv(v128.load(src + 2 * stride)), dazv(v128.load(src + 3 * stride)), out, 16);
        out += 64;
      }
    }
    for (; k < kc; k++) {
      const base = (k0 + k) * aks;
      for (let r = 0; r < 4; r++) {
        const v: f32 = r < rows ? daz(load<f32>(a + <usize>((i0 + p + r) * ars + base) * 4)) : 0;
        store<f32>(out + <usize>r * 4, v);
      }
      out += 16;
    }
  }
}

/**
 * Packs rows k0..k0+kc, cols j0..j0+nc of op(B) into 8-column panels:
 * dst[(p·kc + k)·8 + c]; cols past nc are 0. Full panels of a plain B are
 * two vector copies per k; of a transposed B (the hidden-to-hidden weight of
 * a recurrent step, W_hhᵀ) eight rows of four k each, transposed in two 4×4
 * blocks.
 */
function packB(b: usize, bks: i32, bjs: i32, k0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let p = 0; p < nc; p += 8) {
    const cols = min(8, nc - p);
    let out = dst + <usize>(p * kc) * 4;
    let k = 0;
    if (cols == 8 && bjs == 1) {
      for (; k < kc; k++) {
        const src = b + <usize>((k0 + k) * bks + j0 + p) * 4;
        v128.store(out, dazv(v128.load(src)));
        v128.store(out, dazv(v128.load(src, 16)), 16);
        out += 32;
      }
    } else if (cols == 8 && bks == 1) {
      const c0 = b + <usize>((j0 + p) * bjs + k0) * 4;
      const stride = <usize>bjs * 4;
      for (; k + 4 <= kc; k += 4) {
        const lo = c0 + <usize>k * 4;
        const hi = lo + 4 * stride;
        storeTransposed(dazv(v128.load(lo)), dazv(v128.load(lo + stride)), dazv(v128.load(lo + 2 * stride)), dazv(v128.load(lo + 3 * stride)), out, 32);
        storeTransposed(dazv(v128.load(hi)), dazv(v128.load(hi + stride)), dazv(v128.load(hi + 2 * stride)), dazv(v128.load(hi + 3 * stride)), out + 16, 32);
        out += 128;
      }
    }
    for (; k < kc; k++) {
      const base = (k0 + k) * bks;
      for (let c = 0; c < 8; c++) {
        const v: f32 = c < cols ? daz(load<f32>(b + <usize>(base + (j0 + p + c) * bjs) * 4)) : 0;
        store<f32>(out + <usize>c * 4, v);
      }
      out += 32;
    }
  }
}

/**
 * C[4×8 block at c, row stride ldc floats] += packed A panel · packed B panel
 * over kc (or = with `overwrite`: the first k chunk of a product that does
 * not accumulate, which saves zeroing C and reading it back); mr×nr of the
 * block is real; `spill` is 128 bytes of this thread's scratch (static memory
 * would be shared between threads).
 */
function kernel(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, mr: i32, nr: i32, spill: usize, overwrite: bool): void {
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
  if (mr == 4 && nr == 8 && overwrite) {
    let p = c;
    v128.store(p, c00);
    v128.store(p, c01, 16);
    p += row;
    v128.store(p, c10);
    v128.store(p, c11, 16);
    p += row;
    v128.store(p, c20);
    v128.store(p, c21, 16);
    p += row;
    v128.store(p, c30);
    v128.store(p, c31, 16);
    return;
  }
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
  const t = spill;
  v128.store(t, c00); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const q = c + <usize>r * row + <usize>j * 4;
      const v = load<f32>(t + <usize>(r * 8 + j) * 4);
      store<f32>(q, overwrite ? v : load<f32>(q) + v);
    }
  }
}

/**
 * Rows i0..i1, columns j0..j1 of C (+)= op(A)·op(B) for float32 matrices at
 * byte offsets a, b, c (C is M×N row-major); `pack` points at packBytes() of
 * this thread's scratch. Without `accumulate` that block of C is overwritten.
 *
 * Each element is the same sum in the same order whatever block it is
 * computed in (k runs over the same KC chunks; padding lanes never mix into
 * real ones), so splitting C between threads cannot change a result: one
 * thread and N threads give identical bits.
 */
export function gemmBlock(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, pack: usize, i0: i32, i1: i32, j0: i32, j1: i32): void {
  if (i1 <= i0 || j1 <= j0) return;
  if (K == 0) {
    if (!accumulate) {
      if (j0 == 0 && j1 == N) memory.fill(c + <usize>(i0 * N) * 4, 0, <usize>((i1 - i0) * N) * 4);
      else for (let i = i0; i < i1; i++) memory.fill(c + <usize>(i * N + j0) * 4, 0, <usize>(j1 - j0) * 4);
    }
    return;
  }
  const ars = transA ? 1 : K, aks = transA ? M : 1;
  const bks = transB ? 1 : N, bjs = transB ? K : 1;
  const packedA = pack;
  const packedB = pack + <usize>(MC * KC) * 4;
  const spill = packedB + <usize>(KC * NC) * 4;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(b, bks, bjs, pc, kc, jc, nc, packedB);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(a, ars, aks, ic, mc, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += 8) {
          const pb = packedB + <usize>(jr * kc) * 4;
          const nr = min(8, nc - jr);
          for (let ir = 0; ir < mc; ir += 4) {
            const pa = packedA + <usize>(ir * kc) * 4;
            kernel(pa, pb, kc, c + <usize>((ic + ir) * N + jc + jr) * 4, N, min(4, mc - ir), nr, spill, pc == 0 && !accumulate);
          }
        }
      }
    }
  }
}

/** Floats of a whole K×N op(B) packed by prepackB: every KC chunk of k, each in 8-column panels over all of N. */
export function packedBFloats(K: i32, N: i32): i32 {
  return K * ((N + 7) & ~7);
}

/**
 * Packs all of op(B) (K×N; element (k,j) at B[k·bks + j·bjs]) once, for
 * gemmPacked: a recurrent layer multiplies by the same W_hh at every step,
 * and packing it once per sequence instead of once per step (and per
 * thread) leaves the steps only their own rows of A to pack.
 */
export function prepackB(b: usize, bks: i32, bjs: i32, K: i32, N: i32, dst: usize): void {
  const width = (N + 7) & ~7;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = min(KC, K - pc);
    packB(b, bks, bjs, pc, kc, 0, N, dst);
    dst += <usize>(kc * width) * 4;
  }
}

/**
 * C (+)= A·B for a row-major M×K A (rows K floats apart), a B packed by
 * prepackB and a row-major M×N C; `pack` is this thread's scratch. Every
 * element is the same sum in the same order as gemmBlock computes it (the
 * same KC chunks, each chunk's accumulator added to C), so a layer gives the
 * same bits through either.
 */
export function gemmPacked(M: i32, N: i32, K: i32, a: usize, packedB: usize, c: usize, accumulate: bool, pack: usize): void {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(M * N) * 4);
    return;
  }
  const width = (N + 7) & ~7;
  const packedA = pack;
  const spill = pack + <usize>(MC * KC + KC * NC) * 4;
  let chunk = packedB;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = min(KC, K - pc);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = min(MC, M - ic);
      packA(a, K, 1, ic, mc, pc, kc, packedA);
      for (let jr = 0; jr < N; jr += 8) {
        const pb = chunk + <usize>(jr * kc) * 4;
        const nr = min(8, N - jr);
        for (let ir = 0; ir < mc; ir += 4) {
          kernel(packedA + <usize>(ir * kc) * 4, pb, kc, c + <usize>((ic + ir) * N + jr) * 4, N, min(4, mc - ir), nr, spill, pc == 0 && !accumulate);
        }
      }
    }
    chunk += <usize>(kc * width) * 4;
  }
}
