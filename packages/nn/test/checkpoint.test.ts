import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { CheckpointError, GRU, LSTM, Linear, Module, loadCheckpoint, loadSafetensors, parseSafetensors, saveCheckpoint, saveSafetensors, serializeSafetensors } from '../src/index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tapegrad-ckpt-'));

class Model extends Module {
  rnn = new LSTM(3, 4, { batchFirst: true });
  head = new Linear(4, 2);
}

/** Assembles a safetensors file byte by byte from the specification. */
function handMade(): Uint8Array {
  const header = '{"b":{"dtype":"F64","shape":[2],"data_offsets":[12,28]},"a":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]},"__metadata__":{"format":"pt"}}';
  const head = new TextEncoder().encode(header);
  const buf = new Uint8Array(8 + head.length + 28);
  const v = new DataView(buf.buffer);
  v.setUint32(0, head.length, true); // u64 little-endian, high word 0
  buf.set(head, 8);
  const base = 8 + head.length;
  [1.5, -2, 3.25].forEach((x, i) => v.setFloat32(base + 4 * i, x, true));
  [Math.PI, -1e-300].forEach((x, i) => v.setFloat64(base + 12 + 8 * i, x, true));
  return buf;
}

/** Replaces text inside the JSON header only (same length), leaving the binary data untouched. */
function editHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n)).replace(from, to);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(header), 8);
  return out;
}

describe('safetensors', () => {
  it('round trip is bit-exact for float32, float64 and int32 (NaN, ±0, subnormals, extremes)', () => {
    const values = [0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4e38, Math.PI, -1e-310, 1.7976931348623157e308];
    const t64 = T.tensor(Float64Array.from(values));
    const t32 = T.tensor(Float32Array.from(values.map(Math.fround)));
    const i32 = T.tensor(Int32Array.from([-2147483648, 0, 2147483647]));
    const back = parseSafetensors(serializeSafetensors({ t64, t32, i32 }, { note: 'x' }));
    const bits = (t: T.Tensor) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    expect(bits(back.tensors.t64!)).toEqual(bits(t64));
    expect(bits(back.tensors.t32!)).toEqual(bits(t32));
    expect(Array.from(back.tensors.i32!.data)).toEqual(Array.from(i32.data));
    expect(back.metadata).toEqual({ note: 'x' });
  });
  it('the header is 8-byte aligned and the layout follows the spec', () => {
    const bytes = serializeSafetensors({ w: T.ones([3]) });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.w).toEqual({ dtype: 'F32', shape: [3], data_offsets: [0, 12] });
    expect(bytes.length).toBe(8 + n + 12);
  });
  it('a file assembled by hand from the specification loads correctly', () => {
    const { tensors, metadata } = parseSafetensors(handMade());
    expect(tensors.a!.shape).toEqual([1, 3]);
    expect(tensors.a!.dtype).toBe('float32');
    expect(Array.from(tensors.a!.data)).toEqual([1.5, -2, 3.25]);
    expect(Array.from(tensors.b!.data)).toEqual([Math.PI, -1e-300]);
    expect(metadata).toEqual({ format: 'pt' });
  });
  it('F16, BF16 and I64 tensors are read (as float32 and int32)', () => {
    const header = '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"i":{"dtype":"I64","shape":[1],"data_offsets":[6,14]}}';
    const head = new TextEncoder().encode(header);
    const buf = new Uint8Array(8 + head.length + 14);
    const v = new DataView(buf.buffer);
    v.setUint32(0, head.length, true);
    buf.set(head, 8);
    const base = 8 + head.length;
    v.setUint16(base, 0x3c00, true); // 1.0
    v.setUint16(base + 2, 0xc000, true); // -2.0
    v.setUint16(base + 4, 0x4049, true); // bf16 ≈ 3.140625
    v.setBigInt64(base + 6, -7n, true);
    const { tensors } = parseSafetensors(buf);
    expect(Array.from(tensors.h!.data)).toEqual([1, -2]);
    expect(tensors.b!.data[0]).toBeCloseTo(3.140625, 6);
    expect(Array.from(tensors.i!.data)).toEqual([-7]);
  });
  it('corrupt files raise a CheckpointError that says what is wrong', () => {
    const good = handMade();
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /too short/],
      [good.subarray(0, good.length - 4), /truncated/],
      [(() => { const b = good.slice(); new DataView(b.buffer).setUint32(0, 1e6, true); return b; })(), /header length 1000000 exceeds the file/],
      [(() => { const b = good.slice(); b[9] = 0x7b; b[8] = 0x5b; return b; })(), /header must start with '\{'/],
      [editHeader(good, '[12,28]', '[12,20]'), /tensor 'b' claims 8 bytes .* needs 16/],
      [editHeader(good, '"F64"', '"X99"'), /tensor 'b' has unsupported dtype "X99"/],
      [editHeader(good, '[0,12]', '[4,16]'), /tensor 'a' starts at byte 4 of the data section, expected 0: entries must be contiguous/],
      [editHeader(good, '[1,3]', '[1,4]'), /tensor 'a' claims 12 bytes .* needs 16/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseSafetensors(bytes)).toThrow(CheckpointError);
      expect(() => parseSafetensors(bytes)).toThrow(message);
    }
  });
});

describe('module checkpoints', () => {
  it('save then load restores a model exactly', () => {
    const d = dir();
    const a = new Model(), b = new Model();
    saveCheckpoint(a, join(d, 'm.safetensors'), { step: '3' });
    expect(loadCheckpoint(b, join(d, 'm.safetensors'))).toEqual({ step: '3' });
    a.namedParameters().forEach(([n, p]) => expect(Array.from(b.namedParameters().find(([m]) => m === n)![1].data)).toEqual(Array.from(p.data)));
    expect(Object.keys(loadSafetensors(join(d, 'm.safetensors')).tensors)).toContain('rnn.weight_hh_l0');
  });
  it('writes are atomic: a failed write leaves the previous checkpoint intact and no temp file behind', () => {
    const d = dir();
    const path = join(d, 'm.safetensors');
    saveSafetensors(path, { w: T.ones([2]) });
    const before = readFileSync(path);
    const bad = { w: T.ones([2]), oops: 'not a tensor' as unknown as T.Tensor };
    expect(() => saveSafetensors(path, bad)).toThrow(/'oops' is not a Tensor/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(d)).toEqual(['m.safetensors']);
  });
  it('missing or unexpected keys and shape or dtype mismatches name the key and leave the model unchanged', () => {
    const d = dir();
    const m = new Model();
    const before = m.stateDict();
    const check = (tensors: Record<string, T.Tensor>, message: RegExp) => {
      const p = join(d, 'bad.safetensors');
      saveSafetensors(p, tensors);
      expect(() => loadCheckpoint(m, p)).toThrow(message);
      for (const [k, t] of Object.entries(before)) expect(Array.from(m.stateDict()[k]!.data)).toEqual(Array.from(t.data));
    };
    const sd = new Model().stateDict();
    const { ['head.bias']: _omit, ...missing } = sd;
    check(missing, /missing keys: head\.bias/);
    check({ ...sd, 'head.extra': T.ones([1]) }, /unexpected keys: head\.extra/);
    check({ ...sd, 'head.weight': T.ones([3, 4]) }, /shape mismatch for 'head\.weight'/);
    check({ ...sd, 'head.weight': T.ones([2, 4], { dtype: 'float64' }) }, /dtype mismatch for 'head\.weight'/);
    expect(() => loadCheckpoint(m, join(d, 'nope.safetensors'))).toThrow(/cannot read/);
  });
  it('a checkpoint written for one layer kind does not load into another', () => {
    const d = dir();
    saveCheckpoint(new GRU(3, 4), join(d, 'gru.safetensors'));
    expect(() => loadCheckpoint(new LSTM(3, 4), join(d, 'gru.safetensors'))).toThrow(/shape mismatch for 'bias_hh_l0': checkpoint \[12\], model \[16\]/);
    expect(existsSync(join(d, 'gru.safetensors'))).toBe(true);
  });
});
