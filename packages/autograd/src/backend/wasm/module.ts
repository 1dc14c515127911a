/**
 * Loading the WebAssembly kernels: picks the relaxed-SIMD build (fused
 * multiply-add) when the engine validates it, the plain SIMD build
 * otherwise, and reports why when neither loads (then the JS kernels stay).
 * Where a shared WebAssembly memory can be made and handed to workers (Node;
 * a cross-origin-isolated page), the threaded build of that variant is used:
 * the same kernels over an imported shared memory, so worker threads can
 * instantiate the module over it (threads.ts). Otherwise the build with its
 * own memory, and tapegrad runs on one thread.
 * Node 20 ships relaxed SIMD behind `--experimental-wasm-relaxed-simd`, which
 * is switched on through `v8.setFlagsFromString` before compiling; browsers
 * have it. The module is compiled synchronously (Node, workers); where an
 * engine refuses that (a browser's main thread compiles at most 4 KB
 * synchronously), loadKernelsAsync compiles it in the background.
 */
import { RELAXED_SIMD, RELAXED_SIMD_THREADS, SIMD, SIMD_THREADS } from './binaries.generated.js';

/** The part of the WebAssembly API used here (typed locally: the build targets no DOM lib). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ module: object; instance: { exports: Record<string, unknown> } }>;
}

/** A module's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The exports of the kernel module (see wasm/gemm.ts). */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  packBytes(): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, pack: number): void;
  ctlBytes(): number;
  maxThreads(): number;
  setThreads(ctl: number, n: number): void;
  splitCount(): number;
  lstmForward(T: number, B: number, H: number, proj: number, whh: number, hs: number, cs: number, acts: number, tanhC: number, out: number, batchFirst: number, reverse: number, pack: number, packedW: number): void;
  lstmBackward(T: number, B: number, H: number, acts: number, cs: number, tanhC: number, hs: number, whh: number, gOut: number, dh: number, dc: number, dproj: number, dw: number, dpre: number, dhPrev: number, batchFirst: number, reverse: number, wantDw: number, pack: number, packedW: number): void;
  rnnForward(T: number, B: number, H: number, proj: number, whh: number, hs: number, out: number, relu: number, batchFirst: number, reverse: number, pack: number, packedW: number): void;
  rnnBackward(T: number, B: number, H: number, hs: number, whh: number, gOut: number, dh: number, dproj: number, dw: number, dpre: number, relu: number, batchFirst: number, reverse: number, wantDw: number, pack: number, packedW: number): void;
  gruForward(T: number, B: number, H: number, proj: number, whh: number, bhh: number, hs: number, hps: number, acts: number, out: number, batchFirst: number, reverse: number, pack: number, packedW: number): void;
  gruBackward(T: number, B: number, H: number, hs: number, hps: number, acts: number, whh: number, gOut: number, dh: number, dproj: number, dw: number, db: number, dhp: number, dhPrev: number, batchFirst: number, reverse: number, wantDw: number, wantDb: number, pack: number, packedW: number): void;
  mapInPlace(kind: number, p: number, n: number): void;
  linearForward(rows: number, inF: number, outF: number, x: number, w: number, bias: number, out: number, pack: number): void;
  linearBackward(rows: number, inF: number, outF: number, g: number, x: number, w: number, gx: number, gw: number, gb: number, pack: number, scratch: number): void;
  sumSquaresScratch(n: number): number;
  sumSquaresF32(x: number, n: number, partials: number): number;
  scaleF32(x: number, n: number, s: number): void;
  addF32(acc: number, g: number, n: number): void;
  zeroF32(p: number, n: number): void;
  adamF32(p: number, g: number, m: number, v: number, vmax: number, n: number, b1: number, b2: number, stepSize: number, bc2Sqrt: number, eps: number, sign: number, l2: number, decay: number, keras: number): void;
}

/** A loaded kernel module — with, for the threaded build, the compiled module and the shared memory workers instantiate it over — or why none could be loaded. */
export type LoadResult =
  | { ok: true; exports: KernelExports; variant: 'relaxed-simd' | 'simd'; shared: { module: object; memory: WasmMemory } | null; sharedReason: string }
  | { ok: false; reason: string };

/** Pages of the shared memory: the initial size, and the maximum the threaded builds declare (scripts/build-wasm.mjs). */
const SHARED_INITIAL_PAGES = 32;
const SHARED_MAXIMUM_PAGES = 32768;

/** Why a shared memory cannot be used here, or null when it can. */
function sharedMemoryUnavailable(wasm: WasmApi): string | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  try {
    new wasm.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `a shared WebAssembly memory cannot be created: ${(e as Error).message}`;
  }
  return null;
}

/** The imports of a threaded build: the shared memory. */
function sharedImports(memory: WasmMemory): object {
  return { env: { memory } };
}

/** Decodes base64 without atob or Buffer, which not every engine has (a bare V8 context has neither). */
function decodeBase64(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, j = 0;
  for (let i = 0; i < clean.length; i++) {
    value = (value << 6) | alphabet.indexOf(clean[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** Node 20 needs a V8 flag for relaxed SIMD; elsewhere this is a no-op. */
function enableRelaxedSimdInNode(): void {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }).process;
  if (!proc?.versions?.node || !proc.getBuiltinModule) return;
  try {
    (proc.getBuiltinModule('node:v8') as { setFlagsFromString(flag: string): void }).setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // An engine without the flag: the plain SIMD build is used.
  }
}

let cached: LoadResult | null = null;
/** Set when the engine validated a build but refused to compile it synchronously (a browser's main thread). */
let syncRefused: { variant: 'relaxed-simd' | 'simd'; bytes: Uint8Array; threaded: boolean; sharedReason: string } | null = null;

/** The builds to try, fastest first: the threaded ones only where a shared memory works. */
function candidates(sharedReason: string | null): { variant: 'relaxed-simd' | 'simd'; text: string; threaded: boolean }[] {
  const own = [
    { variant: 'relaxed-simd' as const, text: RELAXED_SIMD, threaded: false },
    { variant: 'simd' as const, text: SIMD, threaded: false },
  ];
  if (sharedReason !== null) return own;
  return [{ variant: 'relaxed-simd', text: RELAXED_SIMD_THREADS, threaded: true }, { variant: 'simd', text: SIMD_THREADS, threaded: true }, ...own];
}

function instantiated(exports: Record<string, unknown>, variant: 'relaxed-simd' | 'simd', shared: { module: object; memory: WasmMemory } | null, sharedReason: string): LoadResult {
  return { ok: true, exports: (shared ? { ...exports, memory: shared.memory } : exports) as unknown as KernelExports, variant, shared, sharedReason };
}

/** Instantiates the fastest kernel build this engine accepts (once). */
export function loadKernels(): LoadResult {
  if (cached) return cached;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm || typeof wasm.validate !== 'function') return (cached = { ok: false, reason: 'this JavaScript engine has no WebAssembly' });
  enableRelaxedSimdInNode();
  const unavailable = sharedMemoryUnavailable(wasm);
  const sharedReason = unavailable ?? '';
  const failures: string[] = [];
  for (const { variant, text, threaded } of candidates(unavailable)) {
    const bytes = decodeBase64(text);
    const label = threaded ? `${variant} (threads)` : variant;
    if (!wasm.validate(bytes)) {
      failures.push(`${label}: not supported by this engine`);
      continue;
    }
    try {
      const module = new wasm.Module(bytes);
      if (!threaded) return (cached = instantiated(new wasm.Instance(module, {}).exports, variant, null, sharedReason));
      const memory = new wasm.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
      return (cached = instantiated(new wasm.Instance(module, sharedImports(memory)).exports, variant, { module, memory }, sharedReason));
    } catch (e) {
      syncRefused ??= { variant, bytes, threaded, sharedReason };
      failures.push(`${label}: ${(e as Error).message}`);
    }
  }
  return (cached = { ok: false, reason: failures.join('; ') });
}

/**
 * Where synchronous compilation was refused, compiles the validated build
 * asynchronously; resolves to the loaded kernels (also cached for
 * loadKernels), or null when there is nothing to retry.
 */
export async function loadKernelsAsync(): Promise<LoadResult | null> {
  if (cached?.ok) return cached;
  const retry = syncRefused;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!retry || !wasm) return null;
  try {
    if (!retry.threaded) return (cached = instantiated((await wasm.instantiate(retry.bytes, {})).instance.exports, retry.variant, null, retry.sharedReason));
    const memory = new wasm.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    const { module, instance } = await wasm.instantiate(retry.bytes, sharedImports(memory));
    return (cached = instantiated(instance.exports, retry.variant, { module, memory }, retry.sharedReason));
  } catch (e) {
    return { ok: false, reason: `${retry.variant}: ${(e as Error).message}` };
  }
}
