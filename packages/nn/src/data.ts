/**
 * Batching and shuffling, shaped like torch.utils.data: a `TensorDataset`
 * (samples are rows of tensors that share their first dim), any object with
 * `length` and `get(i)`, or a plain array of samples; and a `DataLoader`
 * that iterates over batches with `for … of` — seeded shuffle per epoch,
 * `dropLast`, and a collate that stacks tensors, typed arrays, nested arrays
 * and numbers (a tuple sample collates position by position).
 */
import type { DType, Generator, Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ShapeError, ValueError, checkOptions, describeValue, optionalBoolean, optionalNumber } from '@tapegrad/autograd';

/** A dataset: `length` samples, each read by `get(i)` for 0 ≤ i < length (torch.utils.data.Dataset). */
export interface Dataset<S> {
  readonly length: number;
  get(index: number): S;
}

/** One sample's field: a tensor, a number, a typed array or a nested array of numbers. */
export type SampleValue = Tensor | number | ArrayLike<number> | T.NestedArray;

/**
 * Rows of tensors that share their first dimension (torch.utils.data.TensorDataset):
 * sample i is [t[i] for each tensor]. Batches of it are gathered with one
 * indexSelect per tensor instead of stacking rows.
 */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ValueError('TensorDataset', 'needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof T.Tensor)) throw new ValueError('TensorDataset', `argument ${i} must be a Tensor, got ${describeValue(t)}`);
      if (t.ndim === 0) throw new ShapeError('TensorDataset', `argument ${i} is 0-d; every tensor needs a first (sample) dimension`);
      if (t.shape[0] !== tensors[0]!.shape[0]) throw new ShapeError('TensorDataset', `every tensor needs the same first dimension: argument 0 has ${tensors[0]!.shape[0]} samples, argument ${i} has ${t.shape[0]}`);
    });
    this.tensors = tensors;
  }
  /** The number of samples (the shared first dimension). */
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
  /** Sample `index`: row `index` of every tensor. */
  get(index: number): Tensor[] {
    checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => T.noGrad(() => T.select(t, 0, index)));
  }
  /** The samples at `indices`, each tensor's rows gathered in one op: what DataLoader uses. */
  batch(indices: readonly number[]): Tensor[] {
    for (const i of indices) checkIndex('TensorDataset.batch', i, this.length);
    return this.tensors.map((t) => T.noGrad(() => T.indexSelect(t, 0, indices)));
  }
}

function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) throw new ValueError(op, `index ${describeValue(index)} is out of range for a dataset of ${length} samples`);
}

/** Options of DataLoader (PyTorch names in camelCase). */
export interface DataLoaderOptions<S, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** The source of randomness for shuffling: the same seed gives the same epochs. */
  generator?: Generator;
  /** Turns a list of samples into a batch (default: `defaultCollate`). */
  collate?: (samples: S[]) => B;
  /** dtype of the tensors the default collate builds from numbers and arrays (default float32; integers stay float unless you pass int32). */
  dtype?: DType;
}

/**
 * Stacks samples into a batch: tensors with `stack`; numbers into a [B]
 * tensor; typed arrays and nested arrays into a [B, ...] tensor; a tuple
 * (an array whose items are tensors, or whose items differ in kind) position
 * by position, giving a tuple of batches.
 */
export function defaultCollate(samples: readonly unknown[], dtype: DType = 'float32'): unknown {
  if (!Array.isArray(samples)) throw new ValueError('defaultCollate', `samples must be a list, got ${describeValue(samples)}`);
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') throw new ValueError('defaultCollate', `dtype must be 'float32', 'float64' or 'int32', got ${describeValue(dtype)}`);
  if (samples.length === 0) throw new ValueError('defaultCollate', 'cannot collate an empty batch');
  const first = samples[0];
  if (first instanceof T.Tensor) return T.noGrad(() => T.stack(samples as Tensor[], 0));
  if (typeof first === 'number') return T.tensor(samples as number[], { dtype });
  if (ArrayBuffer.isView(first)) {
    const rows = samples as ArrayLike<number>[];
    const n = rows[0]!.length;
    rows.forEach((r, i) => {
      if (r.length !== n) throw new ShapeError('defaultCollate', `sample ${i} has ${r.length} values, sample 0 has ${n}`);
    });
    const data = dtype === 'float64' ? new Float64Array(rows.length * n) : dtype === 'int32' ? new Int32Array(rows.length * n) : new Float32Array(rows.length * n);
    rows.forEach((r, i) => data.set(r, i * n));
    return T.tensor(data, { shape: [rows.length, n] });
  }
  if (Array.isArray(first)) {
    if (isTuple(first)) return first.map((_, k) => defaultCollate(samples.map((s, i) => field(s, k, i)), dtype));
    return T.tensor(samples as T.NestedArray, { dtype });
  }
  throw new ValueError('defaultCollate', `cannot collate samples of this kind: ${describeValue(first)}; pass a collate function`);
}

/** An array is a tuple (fields) rather than nested numbers when it holds tensors or typed arrays, or mixes kinds. */
function isTuple(a: readonly unknown[]): boolean {
  return a.some((x) => x instanceof T.Tensor || ArrayBuffer.isView(x)) || new Set(a.map((x) => (Array.isArray(x) ? 'array' : typeof x))).size > 1;
}

function field(sample: unknown, k: number, i: number): unknown {
  if (!Array.isArray(sample)) throw new ValueError('defaultCollate', `sample ${i} is not a tuple like sample 0`);
  return sample[k];
}

/**
 * Iterates over a dataset in batches (torch.utils.data.DataLoader):
 * `for (const [x, y] of new DataLoader(new TensorDataset(xs, ys), { batchSize: 32, shuffle: true, generator: new Generator(0) }))`.
 * Each `for … of` is one epoch; with `shuffle`, each epoch draws a new
 * permutation from the generator, so a seed fixes the whole sequence of
 * epochs.
 */
export class DataLoader<S = unknown, B = unknown> implements Iterable<B> {
  readonly dataset: Dataset<S>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator: Generator | undefined;
  private readonly collate: (samples: S[]) => B;

  constructor(dataset: Dataset<S> | readonly S[], options: DataLoaderOptions<S, B> = {}) {
    checkOptions('DataLoader', options, ['batchSize', 'shuffle', 'dropLast', 'generator', 'collate', 'dtype']);
    this.dataset = Array.isArray(dataset) ? { length: dataset.length, get: (i: number) => (dataset as readonly S[])[i]! } : (dataset as Dataset<S>);
    if (!this.dataset || typeof this.dataset.length !== 'number' || typeof this.dataset.get !== 'function') throw new ValueError('DataLoader', `dataset must be an array of samples or have length and get(i), got ${describeValue(dataset)}`);
    this.batchSize = optionalNumber('DataLoader', 'batchSize', options.batchSize, 1, { integer: true, min: 1 });
    this.shuffle = optionalBoolean('DataLoader', 'shuffle', options.shuffle, false);
    this.dropLast = optionalBoolean('DataLoader', 'dropLast', options.dropLast, false);
    if (options.generator !== undefined && !(options.generator instanceof T.Generator)) throw new ValueError('DataLoader', `generator must be a Generator, got ${describeValue(options.generator)}`);
    this.generator = options.generator;
    if (options.collate !== undefined && typeof options.collate !== 'function') throw new ValueError('DataLoader', `collate must be a function, got ${describeValue(options.collate)}`);
    const dtype = options.dtype ?? 'float32';
    const ds = this.dataset;
    this.collate = options.collate ?? ((samples: S[]) => defaultCollate(samples, dtype) as B);
    // A TensorDataset's batches are gathered, not stacked row by row.
    if (!options.collate && ds instanceof TensorDataset) this.batchOf = (indices) => ds.batch(indices) as B;
  }

  /** The number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batch of the samples at `indices`. */
  private batchOf: (indices: number[]) => B = (indices) => this.collate(indices.map((i) => this.dataset.get(i)));

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    const order = this.shuffle ? Array.from(T.randperm(n, this.generator ? { generator: this.generator } : {}).data) : Array.from({ length: n }, (_, i) => i);
    for (let start = 0; start < n; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      if (indices.length < this.batchSize && this.dropLast) return;
      yield this.batchOf(indices);
    }
  }
}
