/**
 * Choosing the backend: 'wasm' (WebAssembly SIMD kernels for float32, the JS
 * kernels for everything else) or 'js' (the plain TypeScript kernels). The
 * default is the fastest available — 'wasm' wherever WebAssembly SIMD loads —
 * unless the environment variable TAPEGRAD_BACKEND names one (tests and
 * benches run both). Switching swaps entries of the kernel table, so every
 * op picks the new kernels up on its next call.
 */
import { ValueError } from '../errors.js';
import { defaultKernels, kernels } from './index.js';
import { createWasmKernels } from './wasm/kernels.js';
import { loadKernels, loadKernelsAsync } from './wasm/module.js';

/** The backends tapegrad can run on. */
export type BackendName = 'wasm' | 'js';

let active: BackendName = 'js';

/** The wasm kernels, built once on first use. */
let wasmTable: Partial<typeof kernels> | null = null;
let wasmMap: ((kind: 0 | 1 | 2, x: Float32Array) => void) | null = null;

/** @internal The wasm kernels' SIMD exp (0), σ (1), tanh (2) on a float32 array, for accuracy tests. */
export function wasmActivation(kind: 0 | 1 | 2, x: Float32Array): void {
  wasmKernels();
  wasmMap!(kind, x);
}

function wasmKernels(): Partial<typeof kernels> {
  if (wasmTable) return wasmTable;
  const loaded = loadKernels();
  if (!loaded.ok) throw new ValueError('setBackend', `the WebAssembly backend is not available here: ${loaded.reason}`);
  const k = createWasmKernels(loaded.exports, {
    gemm: defaultKernels.gemm,
    lstmForward: (args) => defaultKernels.lstmForward(args),
    lstmBackward: (args) => defaultKernels.lstmBackward(args),
    rnnForward: (args) => defaultKernels.rnnForward(args),
    rnnBackward: (args) => defaultKernels.rnnBackward(args),
    gruForward: (args) => defaultKernels.gruForward(args),
    gruBackward: (args) => defaultKernels.gruBackward(args),
  });
  wasmMap = k.mapInPlace;
  wasmTable = { gemm: k.gemm, lstmForward: k.lstmForward, lstmBackward: k.lstmBackward, rnnForward: k.rnnForward, rnnBackward: k.rnnBackward, gruForward: k.gruForward, gruBackward: k.gruBackward };
  return wasmTable;
}

/**
 * Selects the kernels every op runs on (like `torch.set_default_device`, for
 * CPU code paths). 'wasm' raises a ValueError naming the reason when
 * WebAssembly SIMD cannot load here; the current backend then stays.
 */
export function setBackend(name: BackendName): void {
  if (name !== 'wasm' && name !== 'js') throw new ValueError('setBackend', `backend must be 'wasm' or 'js', got ${typeof name === 'string' ? `'${name}'` : typeof name}`);
  const table = name === 'wasm' ? wasmKernels() : {};
  Object.assign(kernels, defaultKernels, table);
  active = name;
  chosenByUser = true;
}

/** The backend in use. */
export function getBackend(): BackendName {
  return active;
}

/** What each backend offers here: whether it loads, and which build (relaxed-SIMD FMA or plain SIMD) or why not. */
export function backendInfo(): { wasm: { available: boolean; variant?: string; reason?: string }; active: BackendName } {
  const loaded = loadKernels();
  return { wasm: loaded.ok ? { available: true, variant: loaded.variant } : { available: false, reason: loaded.reason }, active };
}

let ready: Promise<BackendName> | null = null;
let chosenByUser = false;

/**
 * Resolves once the startup choice of backend is final. Where WebAssembly
 * must be compiled asynchronously (a browser's main thread refuses to compile
 * modules over 4 KB synchronously), tapegrad starts on 'js' and switches to
 * 'wasm' when the module is ready — unless setBackend was called meanwhile.
 * Await it before timing anything in a page.
 */
export function backendReady(): Promise<BackendName> {
  return ready ?? Promise.resolve(active);
}

/** The startup choice: TAPEGRAD_BACKEND if set, else wasm when it loads, else js. */
export function selectDefaultBackend(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_BACKEND;
  if (env !== undefined && env !== '') {
    if (env !== 'wasm' && env !== 'js') throw new ValueError('TAPEGRAD_BACKEND', `must be 'wasm' or 'js', got '${env}'`);
    setBackend(env);
    return;
  }
  if (loadKernels().ok) {
    setBackend('wasm');
    chosenByUser = false;
    return;
  }
  ready = loadKernelsAsync().then((r) => {
    if (r?.ok && !chosenByUser) {
      wasmTable = null;
      setBackend('wasm');
    }
    chosenByUser = false;
    return active;
  });
}
