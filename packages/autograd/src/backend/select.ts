/**
 * Choosing the backend: 'wasm' (WebAssembly SIMD kernels for float32, the JS
 * kernels for everything else) or 'js' (the plain TypeScript kernels). The
 * default is the fastest available — 'wasm' wherever WebAssembly SIMD loads —
 * unless the environment variable TAPEGRAD_BACKEND names one (tests and
 * benches run both). Switching swaps entries of the kernel table, so every
 * op picks the new kernels up on its next call.
 */
import { ValueError } from '../errors.js';
import { requireNumber } from '../validate.js';
import { defaultKernels, kernels } from './index.js';
import { createWasmKernels } from './wasm/kernels.js';
import { loadKernels, loadKernelsAsync } from './wasm/module.js';
import { ThreadPool } from './wasm/threads.js';

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

/** The worker threads of the loaded module (null until it loads, or when it has no shared memory). */
let pool: ThreadPool | null = null;
/** Why the loaded module cannot use threads ('' when it can or none is loaded). */
let noThreadsReason = '';
/** The thread count asked for by setNumThreads or TAPEGRAD_NUM_THREADS; applied when the module loads. */
let requestedThreads: number | null = null;

function wasmKernels(): Partial<typeof kernels> {
  if (wasmTable) return wasmTable;
  const loaded = loadKernels();
  if (!loaded.ok) throw new ValueError('setBackend', `the WebAssembly backend is not available here: ${loaded.reason}`);
  const k = createWasmKernels(loaded.exports, {
    gemm: defaultKernels.gemm,
    linearForward: (args) => defaultKernels.linearForward(args),
    linearBackward: (args) => defaultKernels.linearBackward(args),
    lstmForward: (args) => defaultKernels.lstmForward(args),
    lstmBackward: (args) => defaultKernels.lstmBackward(args),
    lstmLayerForward: (args) => defaultKernels.lstmLayerForward(args),
    lstmLayerBackward: (args) => defaultKernels.lstmLayerBackward(args),
    rnnForward: (args) => defaultKernels.rnnForward(args),
    rnnBackward: (args) => defaultKernels.rnnBackward(args),
    gruForward: (args) => defaultKernels.gruForward(args),
    gruBackward: (args) => defaultKernels.gruBackward(args),
    sumSquares: defaultKernels.sumSquares,
    scaleInPlace: defaultKernels.scaleInPlace,
    addInPlace: defaultKernels.addInPlace,
    zeroKept: defaultKernels.zeroKept,
    adamUpdate: defaultKernels.adamUpdate,
  }, () => pool?.active() ?? 1, { resident: loaded.shared !== null });
  if (loaded.shared) {
    pool = new ThreadPool(loaded.exports, loaded.shared, k.ctl);
    pool.setCount(requestedThreads ?? defaultThreads());
    noThreadsReason = pool.unavailable ?? '';
  } else {
    noThreadsReason = loaded.sharedReason;
  }
  wasmMap = k.mapInPlace;
  wasmTable = { gemm: k.gemm, linearForward: k.linearForward, linearBackward: k.linearBackward, lstmForward: k.lstmForward, lstmBackward: k.lstmBackward, lstmLayerForward: k.lstmLayerForward, lstmLayerBackward: k.lstmLayerBackward, rnnForward: k.rnnForward, rnnBackward: k.rnnBackward, gruForward: k.gruForward, gruBackward: k.gruBackward, sumSquares: k.sumSquares, scaleInPlace: k.scaleInPlace, addInPlace: k.addInPlace, zeroKept: k.zeroKept, adamUpdate: k.adamUpdate };
  residentBytes = k.residentBytes;
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

/** Threads of the WebAssembly backend as backendInfo reports them. */
export interface ThreadsInfo {
  /** Whether products can be split between worker threads here (a shared WebAssembly memory and workers). */
  available: boolean;
  /** Threads products are split between now (getNumThreads). */
  count: number;
  /** Workers that have started and joined (a worker joins a moment after it is requested). */
  workersReady: number;
  /** Why threads are not available, when they are not. */
  reason?: string;
}

/** What each backend offers here: whether it loads, which build (relaxed-SIMD FMA or plain SIMD) or why not, and its threads. */
export function backendInfo(): { wasm: { available: boolean; variant?: string; reason?: string; threads: ThreadsInfo }; active: BackendName } {
  const loaded = loadKernels();
  if (loaded.ok) wasmKernels();
  const threads: ThreadsInfo = pool && pool.unavailable === null
    ? { available: true, count: pool.count, workersReady: pool.readyWorkers() }
    : { available: false, count: 1, workersReady: 0, reason: pool?.unavailable ?? (noThreadsReason || (loaded.ok ? 'unknown' : loaded.reason)) };
  return { wasm: loaded.ok ? { available: true, variant: loaded.variant, threads } : { available: false, reason: loaded.reason, threads }, active };
}

/** The most threads setNumThreads accepts (the kernel module has a slot for each). */
const MAX_THREADS = 16;

/** Cores this process may use: Node's availableParallelism, a browser's hardwareConcurrency, else 1. */
function availableCores(): number {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node) {
    const os = proc.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/** The threads used until setNumThreads is called (see there). */
const DEFAULT_MAX_THREADS = 4;

/** TAPEGRAD_NUM_THREADS when set, else the available cores up to DEFAULT_MAX_THREADS. */
function defaultThreads(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_NUM_THREADS;
  if (env === undefined || env === '') return Math.max(1, Math.min(DEFAULT_MAX_THREADS, availableCores()));
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new ValueError('TAPEGRAD_NUM_THREADS', `must be an integer from 1 to ${MAX_THREADS}, got '${env}'`);
  return n;
}

/**
 * Sets how many threads the WebAssembly backend splits large float32
 * products between — matmul, linear, and the per-step products inside the
 * sequence-fused recurrent layers — like `torch.set_num_threads`. The calling
 * thread takes one part and n − 1 workers the others; workers start in the
 * background and join as they become ready.
 *
 * Results are identical for every n: a product is cut into blocks of C, and
 * each element is computed by the same code, summing in the same order,
 * whichever thread computes it. Products below ~128k multiply-adds stay on
 * the calling thread (the hand-off would cost more than it saves).
 *
 * Threads need a shared WebAssembly memory: Node, or a page served
 * cross-origin isolated (COOP `same-origin` + COEP `require-corp`). Elsewhere
 * the backend stays on one thread; `getNumThreads()` and
 * `backendInfo().wasm.threads` say so and why. The JS backend is always
 * single-threaded.
 *
 * Default: the environment variable TAPEGRAD_NUM_THREADS when set, else the
 * cores available (`os.availableParallelism()`, `navigator.hardwareConcurrency`)
 * up to 4 — as PyTorch uses the physical cores. Workers start on the first
 * kernel call, not at import; an idle worker spins for a fraction of a
 * millisecond after its last part, then sleeps.
 *
 * @param n - 1 to 16.
 * @returns the number of threads now in use (1 where threads are unavailable).
 */
export function setNumThreads(n: number): number {
  requireNumber('setNumThreads', 'n', n, { integer: true, min: 1, max: MAX_THREADS });
  requestedThreads = n;
  const loaded = loadKernels();
  if (!loaded.ok) return 1;
  wasmKernels();
  if (!pool) return 1;
  const count = pool.setCount(n);
  if (pool.unavailable !== null) noThreadsReason = pool.unavailable;
  return count;
}

let residentBytes: () => number = () => 0;
/** @internal Bytes of tensor storage held in WebAssembly memory now (kept gradients; not yet collected ones included). */
export function wasmResidentBytes(): number {
  return residentBytes();
}

/** @internal How many products the WebAssembly gemm has split between threads so far (tests check the split happens). */
export function wasmSplitCount(): number {
  const loaded = loadKernels();
  return loaded.ok ? loaded.exports.splitCount() : 0;
}

/** @internal Chunks of split work each thread has run (index 0: the calling thread); empty without threads. */
export function wasmChunksRun(): number[] {
  return pool ? pool.chunksRun() : [];
}

/** The number of threads the WebAssembly backend splits products between (see setNumThreads). */
export function getNumThreads(): number {
  return pool?.count ?? 1;
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
