/**
 * A reader for the IDX files of MNIST and Fashion-MNIST (LeCun et al.): a
 * big-endian header (magic 0x0000 08 NN: unsigned bytes, NN dims), the dim
 * sizes as uint32, then the data. Gzipped files (.gz) are inflated with
 * node's zlib. Errors say what was expected and where.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${source}: ${bytes.length} bytes is too short for an IDX file (expected a 4-byte magic number)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${source}: not an IDX file (magic number must start with two zero bytes, got ${bytes[0]}, ${bytes[1]})`);
  if (bytes[2] !== 0x08) throw new Error(`${source}: unsupported IDX element type 0x${bytes[2]!.toString(16)} (expected 0x08, unsigned bytes)`);
  const ndim = bytes[3]!;
  if (ndim < 1 || bytes.length < 4 + 4 * ndim) throw new Error(`${source}: IDX header declares ${ndim} dims but the file is only ${bytes.length} bytes`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((p, d) => p * d, 1);
  const offset = 4 + 4 * ndim;
  if (bytes.length - offset !== size) throw new Error(`${source}: IDX header says shape [${shape.join(', ')}] (${size} bytes of data) but the file holds ${bytes.length - offset}`);
  return { shape, data: bytes.subarray(offset) };
}

/** Reads an IDX file, inflating it if it is gzipped. */
export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new Error(`IDX file not found: ${path}`);
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${path}: looks gzipped but does not inflate (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}

/** The four files of (Fashion-)MNIST in `dir`, with or without .gz. */
export function loadMnistLike(dir: string): { trainImages: IdxArray; trainLabels: IdxArray; testImages: IdxArray; testLabels: IdxArray } {
  const find = (stem: string) => {
    for (const name of [stem, `${stem}.gz`]) if (existsSync(join(dir, name))) return join(dir, name);
    throw new Error(`missing ${stem}(.gz) in ${dir}: expected the Fashion-MNIST IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte`);
  };
  const trainImages = readIdx(find('train-images-idx3-ubyte'));
  const trainLabels = readIdx(find('train-labels-idx1-ubyte'));
  const testImages = readIdx(find('t10k-images-idx3-ubyte'));
  const testLabels = readIdx(find('t10k-labels-idx1-ubyte'));
  for (const [img, lab, what] of [[trainImages, trainLabels, 'train'], [testImages, testLabels, 't10k']] as const) {
    if (img.shape.length !== 3) throw new Error(`${what} images must be 3-D [count, rows, cols], got [${img.shape.join(', ')}]`);
    if (lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) throw new Error(`${what} labels [${lab.shape.join(', ')}] do not match ${img.shape[0]} images`);
  }
  return { trainImages, trainLabels, testImages, testLabels };
}
