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
import { CheckpointError, parseSafetensors, serializeSafetensors } from './safetensors.js';

type NodeFs = typeof import('node:fs');
type NodePath = typeof import('node:path');

/** Node's fs and path modules, or a CheckpointError outside Node (browsers). */
function nodeModules(op: string): { fs: NodeFs; path: NodePath } {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.getBuiltinModule) {
    throw new CheckpointError(op, 'file checkpoints need Node.js (>= 20.16); in a browser use serializeSafetensors / parseSafetensors and store the bytes yourself');
  }
  return { fs: proc.getBuiltinModule('node:fs') as NodeFs, path: proc.getBuiltinModule('node:path') as NodePath };
}

/** Writes bytes to `path` atomically (temp file + fsync + rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const { fs, path: p } = nodeModules('writeFileAtomic');
  const { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } = fs;
  const tmp = p.join(p.dirname(path), `.${p.basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Saves named tensors to a safetensors file (atomically). */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Reads every tensor of a safetensors file. */
export function loadSafetensors(path: string): ParsedSafetensors {
  const { fs } = nodeModules('loadSafetensors');
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
  const { tensors, metadata } = loadSafetensors(path);
  try {
    module.loadStateDict(tensors, options);
  } catch (e) {
    throw new CheckpointError('loadCheckpoint', `${path}: ${(e as Error).message}`);
  }
  return metadata;
}
