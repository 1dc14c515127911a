/**
 * The safetensors format (the one PyTorch and Hugging Face read):
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *   rest      the raw little-endian tensor bytes; offsets are relative to here
 * Writing emits F32/F64/I32 (header padded with spaces to 8-byte alignment,
 * tensors in name order). Reading also accepts F16, BF16 (→ float32) and I64
 * (→ int32 when in range). The whole header is validated first, as strictly
 * as the reference reader (see safetensors-header.ts), and only then is any
 * tensor allocated: what is allocated is bounded by the file's own size.
 * Every problem raises a CheckpointError naming the file, the tensor and why.
 */
import type { DataArray } from '@tapegrad/autograd';
import { Tensor } from '@tapegrad/autograd';
import { CheckpointError } from './checkpoint-error.js';
import { DTYPE_BYTES, readHeader } from './safetensors-header.js';

export { CheckpointError } from './checkpoint-error.js';

function dtypeCode(t: Tensor): string {
  return t.dtype === 'float64' ? 'F64' : t.dtype === 'float32' ? 'F32' : 'I32';
}

/** Checks that metadata is a string → string object (the only kind the format and the Python reader accept). */
function checkMetadata(op: string, metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new CheckpointError(op, `metadata must be an object of strings, got ${metadata === null ? 'null' : Array.isArray(metadata) ? 'an array' : typeof metadata}`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new CheckpointError(op, `metadata '${k}' must be a string (safetensors metadata is string → string; use String(v) or JSON.stringify), got ${typeof v}`);
  }
  return metadata as Record<string, string>;
}

/** Serializes named tensors (and optional string → string metadata) to safetensors bytes. */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'serializeSafetensors';
  if (tensors === null || typeof tensors !== 'object') throw new CheckpointError(op, `expected an object of named tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  const meta = checkMetadata(op, metadata);
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (meta) header.__metadata__ = { ...meta };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (name === '__metadata__') throw new CheckpointError(op, "'__metadata__' is reserved and cannot name a tensor");
    if (!(t instanceof Tensor)) throw new CheckpointError(op, `'${name}' is not a Tensor`);
    const bytes = t.size * DTYPE_BYTES[dtypeCode(t)]!;
    Object.defineProperty(header, name, { value: { dtype: dtypeCode(t), shape: [...t.shape], data_offsets: [offset, offset + bytes] }, enumerable: true });
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  const pad = (8 - (enc.encode(json).length % 8)) % 8;
  json += ' '.repeat(pad);
  const head = enc.encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  const base = 8 + head.length;
  for (const name of names) {
    const t = tensors[name]!;
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    const d = t.data;
    const p = base + begin;
    for (let i = 0; i < d.length; i++) {
      if (t.dtype === 'float64') view.setFloat64(p + 8 * i, d[i]!, true);
      else if (t.dtype === 'float32') view.setFloat32(p + 4 * i, d[i]!, true);
      else view.setInt32(p + 4 * i, d[i]!, true);
    }
  }
  return out;
}

const BF16_BITS = new Uint32Array(1);
const BF16_VALUE = new Float32Array(BF16_BITS.buffer);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The tensors and metadata of a safetensors file (null-prototype records: any name is just a key). */
export interface ParsedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes: the header is validated whole (readHeader) before any tensor is allocated. */
export function parseSafetensors(bytes: Uint8Array, source = 'buffer'): ParsedSafetensors {
  const op = 'loadSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError(op, `expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const { entries, metadata, dataStart } = readHeader(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = Object.create(null) as Record<string, Tensor>;
  for (const { name, dtype, shape, size: count, begin } of entries) {
    let data: DataArray;
    const p = dataStart + begin;
    if (dtype === 'F64') {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(p + 8 * i, true);
    } else if (dtype === 'F32') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(p + 4 * i, true);
    } else if (dtype === 'F16') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(p + 2 * i, true));
    } else if (dtype === 'BF16') {
      // bfloat16 is the top half of a float32: widen through one shared word.
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        BF16_BITS[0] = view.getUint16(p + 2 * i, true) << 16;
        data[i] = BF16_VALUE[0]!;
      }
    } else if (dtype === 'I32') {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(p + 4 * i, true);
    } else {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(p + 8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw new CheckpointError(op, `${source}: tensor '${name}' (I64) holds ${v} at index ${i}, outside int32`);
        data[i] = Number(v);
      }
    }
    Object.defineProperty(tensors, name, { value: new Tensor(data, shape), enumerable: true, writable: true, configurable: true });
  }
  return { tensors, metadata };
}
