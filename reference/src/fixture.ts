/**
 * Reading the fixture format (../shared/fixtures/FORMAT.md) and comparing
 * results. A tensor is {shape, data} (row-major), integer tensors add
 * dtype "int64"; floats are loaded as float64, integers as int32.
 */
import { Tensor, tensor } from '@tapegrad/autograd';
import { precision, tolerance } from './precision.js';

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: string;
}

export function isFixtureTensor(v: unknown): v is FixtureTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as FixtureTensor).shape) && Array.isArray((v as FixtureTensor).data);
}

/** A fixture tensor as a float Tensor in the run's precision (float64 by default), or int32 for integer dtypes. */
export function load(t: FixtureTensor, requiresGrad = false): Tensor {
  const isInt = typeof t.dtype === 'string' && t.dtype.startsWith('int');
  const data = isInt ? Int32Array.from(t.data) : precision() === 'float32' ? Float32Array.from(t.data.map(Number)) : Float64Array.from(t.data.map(Number));
  return tensor(data, { shape: t.shape, requiresGrad: requiresGrad && !isInt });
}

/** Tolerances: |got − want| ≤ atol + rtol·|want|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-9, atol: 1e-10 };

/** The outcome of one comparison; `problem` is set when it failed. */
export interface Comparison {
  label: string;
  maxAbsError: number;
  problem?: string;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Compares a computed tensor (or number) with the expected fixture value. */
export function compare(label: string, got: Tensor | number | null | undefined, want: FixtureTensor | number, tol: Tolerance = tolerance()): Comparison {
  const wantData = typeof want === 'number' ? [want] : want.data;
  const wantShape = typeof want === 'number' ? [] : want.shape;
  if (got === null || got === undefined) return { label, maxAbsError: Infinity, problem: `${label}: no value computed (expected shape ${shapeText(wantShape)})` };
  const gotData: ArrayLike<number> = typeof got === 'number' ? [got] : got.data;
  const gotShape = typeof got === 'number' ? [] : got.shape;
  if (typeof got !== 'number' && typeof want !== 'number' && shapeText(gotShape) !== shapeText(wantShape)) {
    return { label, maxAbsError: Infinity, problem: `${label}: shape ${shapeText(gotShape)}, expected ${shapeText(wantShape)}` };
  }
  if (gotData.length !== wantData.length) return { label, maxAbsError: Infinity, problem: `${label}: ${gotData.length} values, expected ${wantData.length}` };
  let maxAbsError = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < wantData.length; i++) {
    const g = gotData[i]!;
    const w = Number(wantData[i]);
    const same = g === w || (Number.isNaN(g) && Number.isNaN(w));
    const err = same ? 0 : Math.abs(g - w);
    if (err > maxAbsError || Number.isNaN(err)) maxAbsError = Number.isNaN(err) ? Infinity : err;
    const excess = same ? 0 : Number.isNaN(err) ? Infinity : err - (tol.atol + tol.rtol * Math.abs(w));
    if (excess > 0 && excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    return { label, maxAbsError, problem: `${label}: max |diff| ${maxAbsError.toExponential(2)}; worst at index ${worst}: got ${gotData[worst]}, expected ${wantData[worst]}` };
  }
  return { label, maxAbsError };
}
