/** The tfjs peers: the cpu backend (plain JS) and the wasm backend (XNNPACK, SIMD), switched per measurement. */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** Points tfjs-backend-wasm at its .wasm files inside node_modules (nothing is downloaded). */
export function registerTfjsWasm(): void {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
}

/** Runs `fn` with tfjs on `backend`, then restores the cpu backend. */
export async function withTfjs<R>(backend: 'cpu' | 'wasm', fn: () => R): Promise<R> {
  await tf.setBackend(backend);
  await tf.ready();
  try {
    return fn();
  } finally {
    await tf.setBackend('cpu');
  }
}
