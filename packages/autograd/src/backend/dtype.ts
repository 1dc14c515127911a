/** Floating-point element types that carry gradients. */
export type FloatDType = 'float32' | 'float64';
/** Every element type a tensor can hold; `int32` is for indices and class targets only. */
export type DType = FloatDType | 'int32';
/** Storage of a floating-point tensor. */
export type FloatArray = Float32Array | Float64Array;
/** Storage of any tensor. */
export type DataArray = Float32Array | Float64Array | Int32Array;

/** Allocates zeroed storage of `size` elements of `dtype`. */
export function allocate(dtype: 'float32', size: number): Float32Array;
export function allocate(dtype: 'float64', size: number): Float64Array;
export function allocate(dtype: FloatDType, size: number): FloatArray;
export function allocate(dtype: DType, size: number): DataArray;
export function allocate(dtype: DType, size: number): DataArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
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
