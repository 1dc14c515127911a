/**
 * Saving and loading module weights as safetensors files. Writes are atomic:
 * the bytes go to a temporary file in the same directory, which is then
 * renamed over the target, so a crash mid-save leaves the previous
 * checkpoint intact. Loading validates the whole file and every key, shape
 * and dtype before touching the module.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@tapegrad/autograd';
import type { Module } from './module.js';
import type { ParsedSafetensors } from './safetensors.js';
import { CheckpointError, parseSafetensors, serializeSafetensors } from './safetensors.js';

/** Writes bytes to `path` atomically (temp file + fsync + rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
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
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
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
