import { AllocationError } from '../errors.js';

/** Floating-point element types that carry gradients. */
export type FloatDType = 'float32' | 'float64';
/** Every element type a tensor can hold; `int32` is for indices and class targets only. */
export type DType = FloatDType | 'int32';
/** Storage of a floating-point tensor. */
export type FloatArray = Float32Array | Float64Array;
/** Storage of any tensor. */
export type DataArray = Float32Array | Float64Array | Int32Array;

/**
 * The most elements one tensor may hold: 2³¹ − 1, so that every flat index
 * is an int32 (the kernels and int32 index tensors rely on it).
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;


/** Allocates zeroed storage of `size` elements of `dtype`; an impossible size is an AllocationError, never a raw RangeError. */
export function allocate(dtype: 'float32', size: number): Float32Array;
export function allocate(dtype: 'float64', size: number): Float64Array;
export function allocate(dtype: FloatDType, size: number): FloatArray;
export function allocate(dtype: DType, size: number): DataArray;
export function allocate(dtype: DType, size: number): DataArray {
  if (!(Number.isSafeInteger(size) && size >= 0 && size <= MAX_ELEMENTS)) throw new AllocationError('allocate', `cannot allocate ${size} elements: a tensor holds at most ${MAX_ELEMENTS}`);
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(size);
      case 'float64':
        return new Float64Array(size);
      case 'int32':
        return new Int32Array(size);
    }
  } catch (e) {
    throw new AllocationError('allocate', `cannot allocate ${size} ${dtype} elements (${((size * bytesPerElement(dtype)) / 2 ** 30).toFixed(1)} GiB): ${(e as Error).message}`);
  }
  throw new AllocationError('allocate', `unknown dtype '${String(dtype)}'`);
}

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** Zeroed storage of the same dtype as `like`: the one place that allocates "another array like this one". */
export function allocateLike<T extends DataArray>(like: T, size: number = like.length): T {
  return allocate(dtypeOf(like), size) as T;
}

/** The dtype that a typed array stores. */
export function dtypeOf(data: DataArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/** True for the dtypes that can require gradients. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== 'int32';
}

/**
 * Zeroes gradient storage that is kept across steps (`zeroGrad({ setToNone:
 * false })`) and returns the storage to keep: `data` itself here. The
 * WebAssembly backend replaces this to move such storage, once, into its own
 * memory, where the clipping kernels work on it in place and on all threads.
 */
export function zeroKept(data: FloatArray): FloatArray {
  data.fill(0);
  return data;
}
