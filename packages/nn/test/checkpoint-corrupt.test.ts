/**
 * Malformed checkpoints, byte by byte. Invariants: every malformed file is a
 * CheckpointError (never a raw error, a hang or a huge allocation), the model
 * a failed load was meant for is unchanged, and writing cleans up after itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { CheckpointError, LSTM, Linear, Module, loadCheckpoint, parseSafetensors, saveCheckpoint, saveSafetensors, serializeSafetensors, writeFileAtomic } from '../src/index.js';

class Model extends Module {
  rnn = new LSTM(3, 4, { batchFirst: true });
  head = new Linear(4, 2);
}

const dir = () => mkdtempSync(join(tmpdir(), 'tapegrad-corrupt-'));

/** A file from a header string and a data section of `dataBytes` bytes (the length field is the header's UTF-8 length). */
function fileOf(header: string, dataBytes: number, lengthField?: bigint): Uint8Array {
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + head.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(head.length), true);
  out.set(head, 8);
  for (let i = 8 + head.length; i < out.length; i++) out[i] = (i * 37) & 0xff;
  return out;
}

/** Asserts a CheckpointError whose message matches, within a time bound. */
function rejects(bytes: Uint8Array, message: RegExp): void {
  const t0 = performance.now();
  let error: unknown = null;
  try {
    parseSafetensors(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as Error).message).toMatch(message);
  expect(performance.now() - t0).toBeLessThan(2000);
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('the safetensors reader rejects what the reference reader rejects', () => {
  it('header size: too small, over the 100 MB cap, longer than the file', () => {
    rejects(new Uint8Array(7), /too short/);
    rejects(fileOf('{}', 0, 100_000_001n), /exceeds the limit of 100000000 bytes/);
    rejects(fileOf('{}', 0, 2n ** 63n), /exceeds the limit/);
    rejects(fileOf('{}', 0, 3n), /header length 3 exceeds the file/);
  });
  it('header text: UTF-8, starts with {, valid JSON, an object', () => {
    const bad = fileOf('{"a":1}', 0);
    bad[10] = 0xff;
    rejects(bad, /not valid UTF-8/);
    rejects(fileOf(' {}', 0), /must start with '\{'/);
    rejects(fileOf('[]', 0), /must start with '\{'/);
    rejects(fileOf('{"a":', 0), /not valid JSON/);
  });
  it('entries: known dtype, exact fields, shape of non-negative integers, offsets a pair of integers', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ a: entry('X99', [1], 0, 4) }, /unsupported dtype "X99"/],
      [{ a: { ...entry('F32', [1], 0, 4), extra: 1 } }, /unknown field 'extra'/],
      [{ a: { dtype: 'F32', shape: [1] } }, /invalid data_offsets/],
      [{ a: entry('F32', [-1], 0, 4) }, /invalid shape/],
      [{ a: entry('F32', [1.5], 0, 4) }, /invalid shape/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, /invalid data_offsets/],
      [{ a: entry('F32', [2], 0, 4) }, /claims 4 bytes .* needs 8/],
      [{ a: entry('F32', [1], 4, 0) }, /claims -4 bytes/],
      [{ a: entry('F32', [2 ** 40, 2 ** 40], 0, 4) }, /overflows|elements; a tensor holds at most/],
      [{ a: 7 }, /must be an object/],
      [{ __metadata__: { step: 5 } }, /__metadata__ 'step' must be a string/],
      [{ __metadata__: [] }, /__metadata__ must be an object/],
    ];
    for (const [header, message] of cases) rejects(fileOf(JSON.stringify(header), 4), message);
  });
  it('offsets: contiguous from 0, no overlap, no gap, no trailing bytes — a one-byte header edit cannot load shifted weights', () => {
    rejects(fileOf(JSON.stringify({ a: entry('F32', [1], 4, 8) }), 8), /starts at byte 4 of the data section, expected 0/);
    rejects(fileOf(JSON.stringify({ a: entry('F32', [2], 0, 8), b: entry('F32', [1], 4, 8) }), 8), /'b' starts at byte 4.*expected 8/);
    rejects(fileOf(JSON.stringify({ a: entry('F32', [1], 0, 4) }), 5), /trailing bytes/);
    rejects(fileOf(JSON.stringify({ a: entry('F32', [1], 0, 4) }), 3), /truncated/);
    // The reported case: offsets shifted by one byte used to load weights near 1e-41.
    const good = serializeSafetensors({ w: T.tensor([1, 2, 3]) });
    const text = new TextDecoder().decode(good);
    const shifted = new TextEncoder().encode(text.replace('[0,12]', '[1,13]'));
    rejects(shifted, /starts at byte 1/);
  });
  it('hostile headers fail fast without large allocations: 1,500 overlapping F16 entries, deep nesting, a 60 MB shape', () => {
    const data = 4 << 20;
    const overlapping: Record<string, unknown> = {};
    for (let i = 0; i < 1500; i++) overlapping[`t${i}`] = entry('F16', [data / 2], 0, data);
    const heapBefore = process.memoryUsage().arrayBuffers;
    rejects(fileOf(JSON.stringify(overlapping), data), /starts at byte 0 of the data section, expected 4194304/);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 << 20);
    rejects(fileOf(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 0), /nests deeper than 3 levels/);
    rejects(fileOf(`{"a":{"dtype":"F32","shape":[${'1,'.repeat(30_000_000)}1],"data_offsets":[0,4]}}`, 4), /more than 64 items/);
  });
});

describe('corrupted copies of a real checkpoint', () => {
  const m = new Model();
  const good = serializeSafetensors(m.stateDict(), { step: '3' });
  const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));
  const check = (bytes: Uint8Array) => {
    try {
      const { tensors } = parseSafetensors(bytes);
      // Accepted: then it is a well-formed file whose tensors fit in it.
      let total = 0;
      for (const t of Object.values(tensors)) total += t.size;
      expect(total * 2).toBeLessThanOrEqual(bytes.length);
      return 'accepted';
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      return 'rejected';
    }
  };
  it('truncation at every byte position is a CheckpointError', () => {
    for (let n = 0; n < good.length; n++) expect(check(good.subarray(0, n))).toBe('rejected');
    expect(check(good)).toBe('accepted');
  });
  it('random header mutations give a CheckpointError or a well-formed file, never a raw error', () => {
    const counts = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = good.slice();
        for (const [at, value] of edits) bytes[at] = value;
        counts[check(bytes)]++;
      }),
      { numRuns: 2000 },
    );
    // Most single-byte edits of the header must be caught (a digit changed inside the data section is not a header edit).
    expect(counts.rejected).toBeGreaterThan(counts.accepted);
  });
  it('a failed load leaves the model unchanged', () => {
    const d = dir();
    const target = new Model();
    let before = target.stateDict();
    const path = join(d, 'bad.safetensors');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bytes = good.slice();
        bytes[at] = value;
        writeFileSync(path, bytes);
        try {
          loadCheckpoint(target, path);
          // A mutation that leaves a valid file (say, a metadata character) loads: that is the new reference.
          before = target.stateDict();
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
          for (const [k, t] of Object.entries(before)) expect(Array.from(target.stateDict()[k]!.data)).toEqual(Array.from(t.data));
        }
      }),
      { numRuns: 300 },
    );
  });
  it('a tensor named "__proto__" is just an unexpected key', () => {
    // Rename in place (same length as "__proto__"), touching only the header bytes.
    const bytes = serializeSafetensors({ x_proto__: T.ones([1]) });
    const at = new TextDecoder('latin1').decode(bytes).indexOf('x_proto__');
    bytes[at] = '_'.charCodeAt(0);
    const { tensors } = parseSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(() => new Linear(1, 1).loadStateDict(tensors)).toThrow(/unexpected keys: __proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('writing checkpoints', () => {
  it('metadata must be string → string (the Python reader refuses anything else)', () => {
    expect(() => serializeSafetensors({ w: T.ones([1]) }, { step: 5 } as unknown as Record<string, string>)).toThrow(/metadata 'step' must be a string/);
    expect(() => saveCheckpoint(new Linear(1, 1), join(dir(), 'm.safetensors'), { step: 5 } as unknown as Record<string, string>)).toThrow(CheckpointError);
  });
  it('a directory as target is a CheckpointError and leaves no temp file', () => {
    const d = dir();
    mkdirSync(join(d, 'target'));
    expect(() => saveSafetensors(join(d, 'target'), { w: T.ones([1]) })).toThrow(/cannot write .*target.*directory/);
    expect(readdirSync(d)).toEqual(['target']);
  });
  it('an unwritable directory is a CheckpointError, not a raw EACCES', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path under a regular file instead.
      const d = dir();
      writeFileSync(join(d, 'file'), 'x');
      expect(() => writeFileAtomic(join(d, 'file', 'm.safetensors'), new Uint8Array(1))).toThrow(CheckpointError);
      return;
    }
    const d = dir();
    chmodSync(d, 0o500);
    expect(() => writeFileAtomic(join(d, 'm.safetensors'), new Uint8Array(1))).toThrow(CheckpointError);
  });
  it('temp files of writers that died are removed by the next save', () => {
    const d = dir();
    const path = join(d, 'm.safetensors');
    // A pid that cannot be running (beyond pid_max), and one that is (this process's parent).
    writeFileSync(join(d, '.m.safetensors.4194399.0.abcdef.tmp'), 'stale');
    writeFileSync(join(d, `.m.safetensors.${process.ppid}.0.abcdef.tmp`), 'in flight');
    writeFileSync(join(d, '.other.safetensors.4194399.0.abcdef.tmp'), 'another file');
    saveSafetensors(path, { w: T.ones([1]) });
    expect(readdirSync(d).sort()).toEqual(['.m.safetensors.' + process.ppid + '.0.abcdef.tmp', '.other.safetensors.4194399.0.abcdef.tmp', 'm.safetensors'].sort());
  });
  it('concurrent saves from worker threads never collide: every read sees a whole file', async () => {
    const d = dir();
    const path = join(d, 'm.safetensors');
    saveSafetensors(path, { w: T.ones([64]) });
    // One plain-JS bundle of the packages, so worker threads need no TypeScript loader.
    await build({ stdin: { contents: "export * as nn from '@tapegrad/nn'; export * as T from '@tapegrad/autograd';", resolveDir: process.cwd() }, bundle: true, format: 'esm', platform: 'node', conditions: ['source'], outfile: join(d, 'lib.mjs'), logLevel: 'silent' });
    const script = join(d, 'writer.mjs');
    writeFileSync(
      script,
      `import { Worker, isMainThread, workerData } from 'node:worker_threads';
       import { nn, T } from './lib.mjs';
       if (isMainThread) {
         const workers = [0, 1, 2, 3].map((k) => new Promise((res, rej) => { const w = new Worker(new URL(import.meta.url), { workerData: k }); w.on('exit', (c) => (c === 0 ? res() : rej(new Error('exit ' + c)))); w.on('error', rej); }));
         let reads = 0, bad = 0;
         const until = Date.now() + 1500;
         while (Date.now() < until) { try { nn.loadSafetensors(${JSON.stringify(path)}); } catch { bad++; } reads++; await new Promise((r) => setImmediate(r)); }
         await Promise.all(workers);
         console.log(JSON.stringify({ reads, bad }));
       } else {
         for (let i = 0; i < 150; i++) nn.saveSafetensors(${JSON.stringify(path)}, { w: T.full([64], workerData + i) });
       }`,
    );
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '', err = '';
      child.stdout.on('data', (b) => (text += b));
      child.stderr.on('data', (b) => (err += b));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`writer exited ${code}: ${err}`))));
    });
    const { reads, bad } = JSON.parse(out.trim().split('\n').pop()!) as { reads: number; bad: number };
    expect(reads).toBeGreaterThan(0);
    expect(bad).toBe(0);
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
  it('a writer killed (SIGKILL) mid-save leaves the old file or the new one, and its temp file is removed by the next save', async () => {
    const d = dir();
    const path = join(d, 'm.safetensors');
    await build({ stdin: { contents: "export * as nn from '@tapegrad/nn'; export * as T from '@tapegrad/autograd';", resolveDir: process.cwd() }, bundle: true, format: 'esm', platform: 'node', conditions: ['source'], outfile: join(d, 'lib.mjs'), logLevel: 'silent' });
    const script = join(d, 'loop.mjs');
    // 256 KB per file, so a kill often lands inside a write.
    writeFileSync(script, `import { nn, T } from './lib.mjs';\nfor (let i = 0; ; i++) nn.saveSafetensors(${JSON.stringify(path)}, { w: T.full([65536], i % 2) });\n`);
    saveSafetensors(path, { w: T.full([65536], 0) });
    const outcomes = { old: 0, new: 0 };
    for (let k = 0; k < 8; k++) {
      const child = spawn(process.execPath, [script], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 150 + ((k * 37) % 150)));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const { tensors } = parseSafetensors(readFileSync(path));
      const v = tensors.w!.data;
      expect(v.every((x) => x === v[0])).toBe(true);
      outcomes[v[0] === 0 ? 'old' : 'new']++;
    }
    // Whatever temp files the killed writers left are gone after one more save.
    saveSafetensors(path, { w: T.ones([1]) });
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(outcomes.old + outcomes.new).toBe(8);
  });
  it('optional cross-check: files written here load in the Python safetensors reader, when it is installed', () => {
    let available = false;
    try {
      execFileSync('python3', ['-c', 'import safetensors'], { stdio: 'ignore' });
      available = true;
    } catch {
      // not installed: nothing to compare against (never required)
    }
    if (!available) return;
    const path = join(dir(), 'm.safetensors');
    saveCheckpoint(new Model(), path, { step: '3' });
    const out = execFileSync('python3', ['-c', `from safetensors import safe_open\nwith safe_open(${JSON.stringify(path)}, framework="numpy") as f:\n    print(sorted(f.keys())[0], f.metadata()["step"])`]).toString();
    expect(out.trim()).toBe('head.bias 3');
  });
});
