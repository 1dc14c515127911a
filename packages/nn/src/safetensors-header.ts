/**
 * Validation of a safetensors header, as strict as the reference reader
 * (huggingface/safetensors, `SafeTensors::read_metadata` and
 * `Metadata::validate`), and done entirely before any tensor is allocated:
 *   - at least 8 bytes; header length N ≤ 100,000,000 and 8 + N ≤ file size
 *     (HeaderTooSmall, HeaderTooLarge, InvalidHeaderLength);
 *   - the header is UTF-8, starts with '{' (InvalidHeaderStart) and is a JSON
 *     object nested at most 3 deep (deeper nesting cannot be a valid header;
 *     the scan runs before JSON.parse so a hostile file cannot overflow the
 *     stack); shape arrays of at most MAX_RANK entries;
 *   - each entry has exactly dtype, shape, data_offsets; dtype known; shape of
 *     non-negative safe integers whose product does not overflow
 *     (ValidationOverflow); `__metadata__` a string → string object;
 *   - sorted by offset, the entries are contiguous from 0 (InvalidOffset),
 *     each covers exactly size × dtype width bytes (TensorInvalidInfo), and
 *     together they cover the data section exactly — no gap, no trailing
 *     byte (MetadataIncompleteBuffer).
 * We also reject what the reference accepts but tapegrad cannot hold: dtypes
 * other than F64, F32, F16, BF16, I64, I32, and tensors over MAX_ELEMENTS.
 */
import { MAX_ELEMENTS } from '@tapegrad/autograd';
import { CheckpointError } from './checkpoint-error.js';

/** Bytes per element of each dtype tapegrad reads. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
/** The reference reader's cap on the header length. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Tensors of more dims than this are refused (a hostile shape of millions of 1s would otherwise cost gigabytes). */
export const MAX_RANK = 64;
/** A valid header nests exactly this deep: {name: {shape: [..]}}. */
const MAX_DEPTH = 3;

/** One validated header entry. */
export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Element count (product of shape). */
  size: number;
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

/** The validated header: entries in offset order, the metadata, and where the data section starts. */
export interface SafetensorsHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  dataStart: number;
}

const OP = 'loadSafetensors';

/**
 * One pass over the header text outside strings: the nesting depth may not
 * exceed MAX_DEPTH and no array may hold more than MAX_RANK items.
 */
function scanStructure(text: string, source: string): void {
  let depth = 0;
  let inString = false;
  const arrayItems: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) throw new CheckpointError(OP, `${source}: header nests deeper than ${MAX_DEPTH} levels, which no safetensors header does`);
      arrayItems.push(c === 0x5b ? 1 : -1);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      arrayItems.pop();
    } else if (c === 0x2c && arrayItems.length > 0 && arrayItems[arrayItems.length - 1]! > 0) {
      if (++arrayItems[arrayItems.length - 1]! > MAX_RANK) throw new CheckpointError(OP, `${source}: a header array has more than ${MAX_RANK} items (shapes are limited to ${MAX_RANK} dims)`);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads and validates the header of `bytes` (see the file comment); allocates nothing for tensor data. */
export function readHeader(bytes: Uint8Array, source: string): SafetensorsHeader {
  if (bytes.length < 8) throw new CheckpointError(OP, `${source}: ${bytes.length} bytes is too short for a safetensors file (needs an 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw new CheckpointError(OP, `${source}: header length ${n64} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw new CheckpointError(OP, `${source}: header length ${n} exceeds the file (${bytes.length} bytes): truncated or not a safetensors file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new CheckpointError(OP, `${source}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new CheckpointError(OP, `${source}: header must start with '{'`);
  scanStructure(text, source);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(OP, `${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) throw new CheckpointError(OP, `${source}: header must be a JSON object`);
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: HeaderEntry[] = [];
  for (const name of Object.keys(header)) {
    const info = header[name];
    if (name === '__metadata__') {
      if (!isRecord(info)) throw new CheckpointError(OP, `${source}: __metadata__ must be an object of strings`);
      for (const k of Object.keys(info)) {
        const v = info[k];
        if (typeof v !== 'string') throw new CheckpointError(OP, `${source}: __metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    entries.push(readEntry(name, info, source));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = bytes.length - 8 - n;
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) throw new CheckpointError(OP, `${source}: tensor '${e.name}' starts at byte ${e.begin} of the data section, expected ${expected}: entries must be contiguous, without gaps or overlaps`);
    expected = e.end;
  }
  if (expected !== dataLength) throw new CheckpointError(OP, `${source}: the tensors cover ${expected} bytes but the data section has ${dataLength}: ${expected < dataLength ? 'trailing bytes' : 'truncated file'}`);
  return { entries, metadata, dataStart: 8 + n };
}

function readEntry(name: string, info: unknown, source: string): HeaderEntry {
  const where = `${source}: tensor '${name}'`;
  if (!isRecord(info)) throw new CheckpointError(OP, `${where} must be an object with dtype, shape and data_offsets`);
  for (const k of Object.keys(info)) if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') throw new CheckpointError(OP, `${where} has an unknown field '${k}'`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) throw new CheckpointError(OP, `${where} has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new CheckpointError(OP, `${where} has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) throw new CheckpointError(OP, `${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
  let size = 1;
  for (const d of shape as number[]) {
    size *= d;
    if (!Number.isSafeInteger(size)) throw new CheckpointError(OP, `${where}: shape ${JSON.stringify(shape)} overflows`);
  }
  if (size > MAX_ELEMENTS) throw new CheckpointError(OP, `${where} has ${size} elements; a tensor holds at most ${MAX_ELEMENTS}`);
  const [begin, end] = offsets as [number, number];
  const width = DTYPE_BYTES[dtype]!;
  if (end < begin || end - begin !== size * width) throw new CheckpointError(OP, `${where} claims ${end - begin} bytes at [${begin}, ${end}) but ${dtype} ${JSON.stringify(shape)} needs ${size * width}`);
  return { name, dtype, shape: shape as number[], size, begin, end };
}
