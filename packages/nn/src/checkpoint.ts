/**
 * Saving and loading module weights as safetensors files. Writes are atomic:
 * the bytes go to a temporary file in the same directory, which is then
 * renamed over the target, so a crash mid-save leaves the previous
 * checkpoint intact. Loading validates the whole file and every key, shape
 * and dtype before touching the module.
 *
 * Node's fs is looked up when a file function is called, not imported, so the
 * package bundles for browsers; there, keep the bytes of
 * serializeSafetensors / parseSafetensors wherever you store data.
 */
import type { Tensor } from '@tapegrad/autograd';
import type { Module } from './module.js';
import type { ParsedSafetensors } from './safetensors.js';
import { checkOptions } from '@tapegrad/autograd';
import { CheckpointError, parseSafetensors, serializeSafetensors } from './safetensors.js';

type NodeFs = typeof import('node:fs');
type NodePath = typeof import('node:path');
interface NodeRuntime {
  fs: NodeFs;
  path: NodePath;
  pid: number;
  threadId: number;
  randomHex: () => string;
}

/** Node's fs and path, the process and thread ids, or a CheckpointError outside Node (browsers). */
function nodeRuntime(op: string): NodeRuntime {
  const proc = (globalThis as { process?: { pid: number; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.getBuiltinModule) {
    throw new CheckpointError(op, 'file checkpoints need Node.js (>= 20.16); in a browser use serializeSafetensors / parseSafetensors and store the bytes yourself');
  }
  const threads = proc.getBuiltinModule('node:worker_threads') as { threadId: number };
  const crypto = proc.getBuiltinModule('node:crypto') as { randomBytes(n: number): { toString(enc: string): string } };
  return {
    fs: proc.getBuiltinModule('node:fs') as NodeFs,
    path: proc.getBuiltinModule('node:path') as NodePath,
    pid: proc.pid,
    threadId: threads.threadId,
    randomHex: () => crypto.randomBytes(6).toString('hex'),
  };
}

/** `.NAME.PID.THREAD.RANDOM.tmp`: unique per process, thread and call, and tells a later save whose it was. */
const TEMP_PATTERN = /^\.(.+)\.(\d+)\.(\d+)\.[0-9a-f]+\.tmp$/;

/** True if a process with this id is running (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Removes temp files of `base` left by writers that died (their process is gone). Best effort: never fails a save. */
function removeStaleTemps(rt: NodeRuntime, dir: string, base: string): void {
  let names: string[];
  try {
    names = rt.fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m || m[1] !== base) continue;
    const pid = Number(m[2]);
    if (pid === rt.pid || isAlive(pid)) continue;
    try {
      rt.fs.unlinkSync(rt.path.join(dir, name));
    } catch {
      // Another save may have removed it first.
    }
  }
}

/**
 * Writes bytes to `path` atomically: a temp file in the same directory
 * (exclusive create, name unique per process, thread and call), fsync,
 * rename over the target, fsync of the directory. A reader sees the old file
 * or the new one, never a part. The temp file is removed on every error path,
 * and temp files of writers that died are removed by the next save.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const op = 'writeFileAtomic';
  if (typeof path !== 'string' || path === '') throw new CheckpointError(op, `path must be a non-empty string, got ${typeof path}`);
  const rt = nodeRuntime(op);
  const { fs, path: p } = rt;
  const dir = p.dirname(path);
  const base = p.basename(path);
  removeStaleTemps(rt, dir, base);
  const tmp = p.join(dir, `.${base}.${rt.pid}.${rt.threadId}.${rt.randomHex()}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx');
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: keep the first error
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    const err = e as { code?: string; message?: string };
    throw new CheckpointError(op, `cannot write '${path}': ${err.code === 'EISDIR' ? 'the target is a directory' : err.message ?? String(e)}`);
  }
  // The rename is durable only once the directory entry is on disk.
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is complete.
  }
}

/** Saves named tensors to a safetensors file (atomically). */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Reads every tensor of a safetensors file. */
export function loadSafetensors(path: string): ParsedSafetensors {
  if (typeof path !== 'string') throw new CheckpointError('loadSafetensors', `path must be a string, got ${typeof path}`);
  const { fs } = nodeRuntime('loadSafetensors');
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new CheckpointError('loadSafetensors', `cannot read '${path}': ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** Saves a module's parameters under their PyTorch-style names. */
export function saveCheckpoint(module: Module, path: string, metadata?: Record<string, string>): void {
  saveSafetensors(path, module.stateDict(), metadata);
}

/**
 * Loads a safetensors file into a module. With `strict` (default) missing and
 * unexpected keys are errors; shape and dtype mismatches always are. On any
 * error the module is unchanged. Returns the file's metadata.
 */
export function loadCheckpoint(module: Module, path: string, options: { strict?: boolean } = {}): Record<string, string> {
  checkOptions('loadCheckpoint', options, ['strict']);
  const { tensors, metadata } = loadSafetensors(path);
  try {
    module.loadStateDict(tensors, options);
  } catch (e) {
    throw new CheckpointError('loadCheckpoint', `${path}: ${(e as Error).message}`);
  }
  return metadata;
}
