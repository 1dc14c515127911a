/**
 * Broadcasting binary kernels. The N-d loop is coalesced to the fewest
 * dimensions (same-shape operands become one flat loop), and each op has its
 * own tight inner loop over one row, chosen once per call — no per-element
 * function calls.
 */
import type { FloatArray } from './dtype.js';
import { broadcastStrides, coalesce, sizeOf } from './shape.js';
import { allocateLike } from './dtype.js';

/** Binary kernels: arithmetic (differentiable through their ops) and comparisons (0/1 results). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne';

type Row = (a: FloatArray, ia: number, da: number, b: FloatArray, ib: number, db: number, out: FloatArray, o: number, n: number) => void;
type Flat = (a: FloatArray, b: FloatArray, out: FloatArray) => void;

/**
 * Same-shape operands, the most common case by far: one loop per op,
 * unrolled by four (measured faster than a plain indexed loop in V8, since it
 * amortizes the bounds checks on the three arrays).
 */
const FLAT: Partial<Record<BinaryOp, Flat>> = {
  add(a, b, out) {
    const n = out.length, n4 = n - (n % 4);
    let i = 0;
    for (; i < n4; i += 4) {
      out[i] = a[i]! + b[i]!;
      out[i + 1] = a[i + 1]! + b[i + 1]!;
      out[i + 2] = a[i + 2]! + b[i + 2]!;
      out[i + 3] = a[i + 3]! + b[i + 3]!;
    }
    for (; i < n; i++) out[i] = a[i]! + b[i]!;
  },
  sub(a, b, out) {
    const n = out.length, n4 = n - (n % 4);
    let i = 0;
    for (; i < n4; i += 4) {
      out[i] = a[i]! - b[i]!;
      out[i + 1] = a[i + 1]! - b[i + 1]!;
      out[i + 2] = a[i + 2]! - b[i + 2]!;
      out[i + 3] = a[i + 3]! - b[i + 3]!;
    }
    for (; i < n; i++) out[i] = a[i]! - b[i]!;
  },
  mul(a, b, out) {
    const n = out.length, n4 = n - (n % 4);
    let i = 0;
    for (; i < n4; i += 4) {
      out[i] = a[i]! * b[i]!;
      out[i + 1] = a[i + 1]! * b[i + 1]!;
      out[i + 2] = a[i + 2]! * b[i + 2]!;
      out[i + 3] = a[i + 3]! * b[i + 3]!;
    }
    for (; i < n; i++) out[i] = a[i]! * b[i]!;
  },
  div(a, b, out) {
    const n = out.length, n4 = n - (n % 4);
    let i = 0;
    for (; i < n4; i += 4) {
      out[i] = a[i]! / b[i]!;
      out[i + 1] = a[i + 1]! / b[i + 1]!;
      out[i + 2] = a[i + 2]! / b[i + 2]!;
      out[i + 3] = a[i + 3]! / b[i + 3]!;
    }
    for (; i < n; i++) out[i] = a[i]! / b[i]!;
  },
};

const ROWS: Record<BinaryOp, Row> = {
  add(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! + b[ib]!;
  },
  sub(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! - b[ib]!;
  },
  mul(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! * b[ib]!;
  },
  div(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! / b[ib]!;
  },
  pow(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = Math.pow(a[ia]!, b[ib]!);
  },
  maximum(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) {
      const x = a[ia]!, y = b[ib]!;
      // NaN propagates, as in torch.maximum.
      out[o + j] = x > y || x !== x ? x : y;
    }
  },
  minimum(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) {
      const x = a[ia]!, y = b[ib]!;
      out[o + j] = x < y || x !== x ? x : y;
    }
  },
  gt(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! > b[ib]! ? 1 : 0;
  },
  lt(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! < b[ib]! ? 1 : 0;
  },
  ge(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! >= b[ib]! ? 1 : 0;
  },
  le(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! <= b[ib]! ? 1 : 0;
  },
  eq(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! === b[ib]! ? 1 : 0;
  },
  ne(a, ia, da, b, ib, db, out, o, n) {
    for (let j = 0; j < n; j++, ia += da, ib += db) out[o + j] = a[ia]! !== b[ib]! ? 1 : 0;
  },
};

/**
 * out = a (op) b with NumPy broadcasting; `outShape` must be the broadcast
 * of the two shapes and `out` contiguous of that shape.
 */
export function binary(op: BinaryOp, a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
  const row = ROWS[op];
  if (a.length === out.length && b.length === out.length) {
    const flat = FLAT[op];
    if (flat) flat(a, b, out);
    else row(a, 0, 1, b, 0, 1, out, 0, out.length);
    return;
  }
  const { shape, strides } = coalesce(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  forEachRow(shape, strides[0]!, strides[1]!, (ia, ib, o, n, da, db) => row(a, ia, da, b, ib, db, out, o, n));
}

/**
 * Walks the rows (last dimension) of a coalesced 2-operand iteration space,
 * calling `visit` once per row with the operands' start offsets. The callback
 * is per row, never per element.
 */
export function forEachRow(shape: readonly number[], sa: readonly number[], sb: readonly number[], visit: (ia: number, ib: number, o: number, n: number, da: number, db: number) => void): void {
  const d = shape.length;
  const n = shape[d - 1]!;
  const da = sa[d - 1]!, db = sb[d - 1]!;
  const rows = sizeOf(shape) / n;
  const counter = new Array<number>(d).fill(0);
  let ia = 0, ib = 0;
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    visit(ia, ib, o, n, da, db);
    // Advance the outer counter (dims 0..d-2) with carry.
    for (let k = d - 2; k >= 0; k--) {
      counter[k]!++;
      ia += sa[k]!;
      ib += sb[k]!;
      if (counter[k]! < shape[k]!) break;
      ia -= sa[k]! * shape[k]!;
      ib -= sb[k]! * shape[k]!;
      counter[k] = 0;
    }
  }
}

/** Materializes `x` broadcast to `outShape` (returns `x` itself when no copy is needed). */
export function broadcastTo<T extends FloatArray>(x: T, xShape: readonly number[], outShape: readonly number[], out?: T): T {
  const size = sizeOf(outShape);
  if (x.length === size && !out) return x;
  const dst = out ?? allocateLike(x, size);
  const { shape, strides } = coalesce(outShape, [broadcastStrides(xShape, outShape), broadcastStrides(outShape, outShape)]);
  forEachRow(shape, strides[0]!, strides[1]!, (ix, _io, o, n, dx) => {
    if (dx === 1) dst.set(x.subarray(ix, ix + n), o);
    else if (dx === 0) dst.fill(x[ix]!, o, o + n);
    else for (let j = 0; j < n; j++) dst[o + j] = x[ix + j * dx]!;
  });
  return dst;
}

/**
 * Sums `g` (of shape `gShape`) down to `targetShape`, undoing broadcasting:
 * the one place where broadcast dimensions are summed back. Returns `g`
 * itself when the shapes already agree.
 */
export function sumToShape<T extends FloatArray>(g: T, gShape: readonly number[], targetShape: readonly number[]): T {
  const size = sizeOf(targetShape);
  if (size === g.length) return g;
  const out = allocateLike(g, size);
  // Iterate over g; the target is read with stride 0 along summed dims.
  const { shape, strides } = coalesce(gShape, [broadcastStrides(gShape, gShape), broadcastStrides(targetShape, gShape)]);
  forEachRow(shape, strides[0]!, strides[1]!, (ig, it, _o, n, dg, dt) => {
    if (dt === 0) {
      let s = 0;
      for (let j = 0, k = ig; j < n; j++, k += dg) s += g[k]!;
      out[it] = out[it]! + s;
    } else {
      for (let j = 0; j < n; j++) out[it + j * dt] = out[it + j * dt]! + g[ig + j * dg]!;
    }
  });
  return out;
}
