/**
 * The safetensors format (the one PyTorch and Hugging Face read):
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *   rest      the raw little-endian tensor bytes; offsets are relative to here
 * Writing emits F32/F64/I32 (header padded with spaces to 8-byte alignment,
 * tensors in name order). Reading also accepts F16, BF16 (→ float32) and I64
 * (→ int32 when in range). Every inconsistency — short file, header that does
 * not parse or lies about sizes, overlapping or out-of-bounds offsets — raises
 * a CheckpointError naming the tensor and the problem.
 */
import type { DataArray } from '@tapegrad/autograd';
import { Tensor, TapegradError } from '@tapegrad/autograd';

/** A checkpoint that cannot be read or does not fit the module; the message names the tensor and the problem. */
export class CheckpointError extends TapegradError {
  override name = 'CheckpointError';
}

const ITEM: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const MAX_HEADER = 100 * 1024 * 1024;

function dtypeCode(t: Tensor): string {
  return t.dtype === 'float64' ? 'F64' : t.dtype === 'float32' ? 'F32' : 'I32';
}

/** Serializes named tensors (and optional string metadata) to safetensors bytes. */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (!(t instanceof Tensor)) throw new CheckpointError('serializeSafetensors', `'${name}' is not a Tensor`);
    const bytes = t.size * ITEM[dtypeCode(t)]!;
    header[name] = { dtype: dtypeCode(t), shape: [...t.shape], data_offsets: [offset, offset + bytes] };
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

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The tensors and metadata of a safetensors file. */
export interface ParsedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes, checking every size and offset against the buffer. */
export function parseSafetensors(bytes: Uint8Array, source = 'buffer'): ParsedSafetensors {
  const op = 'loadSafetensors';
  if (bytes.length < 8) throw new CheckpointError(op, `${source}: ${bytes.length} bytes is too short for a safetensors file (needs an 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) throw new CheckpointError(op, `${source}: header length ${n} exceeds the file (${bytes.length} bytes): truncated or not a safetensors file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(op, `${source}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(op, `${source}: header must be a JSON object`);
  const dataLen = bytes.length - 8 - n;
  const base = 8 + n;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = (info ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in ITEM)) throw new CheckpointError(op, `${source}: tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(op, `${source}: tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((o) => Number.isInteger(o) && o >= 0)) throw new CheckpointError(op, `${source}: tensor '${name}' has invalid data_offsets ${JSON.stringify(data_offsets)}`);
    const [begin, end] = data_offsets as [number, number];
    const count = (shape as number[]).reduce((p, d) => p * d, 1);
    const item = ITEM[dtype]!;
    if (end < begin || end - begin !== count * item) throw new CheckpointError(op, `${source}: tensor '${name}' claims ${end - begin} bytes at [${begin}, ${end}) but ${dtype} ${JSON.stringify(shape)} needs ${count * item}`);
    if (end > dataLen) throw new CheckpointError(op, `${source}: tensor '${name}' ends at byte ${end} but the data section has ${dataLen} bytes: truncated file`);
    ranges.push([begin, end, name]);
    let data: DataArray;
    const p = base + begin;
    if (dtype === 'F64') {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(p + 8 * i, true);
    } else if (dtype === 'F32') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(p + 4 * i, true);
    } else if (dtype === 'F16' || dtype === 'BF16') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const h = view.getUint16(p + 2 * i, true);
        data[i] = dtype === 'F16' ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
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
    tensors[name] = new Tensor(data, shape as number[]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) throw new CheckpointError(op, `${source}: tensors '${ranges[i - 1]![2]}' and '${ranges[i]![2]}' overlap in the data section`);
  }
  return { tensors, metadata };
}
