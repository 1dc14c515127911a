/**
 * Loading the WebAssembly kernels: picks the relaxed-SIMD build (fused
 * multiply-add) when the engine validates it, the plain SIMD build
 * otherwise, and reports why when neither loads (then the JS kernels stay).
 * Node 20 ships relaxed SIMD behind `--experimental-wasm-relaxed-simd`, which
 * is switched on through `v8.setFlagsFromString` before compiling; browsers
 * have it. The module is compiled synchronously (Node, workers); where an
 * engine refuses that (a browser's main thread compiles at most 4 KB
 * synchronously), loadKernelsAsync compiles it in the background.
 */
import { RELAXED_SIMD, SIMD } from './binaries.generated.js';

/** The part of the WebAssembly API used here (typed locally: the build targets no DOM lib). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
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
  lstmForward(T: number, B: number, H: number, proj: number, whh: number, hs: number, cs: number, acts: number, tanhC: number, out: number, batchFirst: number, reverse: number, pack: number): void;
  lstmBackward(T: number, B: number, H: number, acts: number, cs: number, tanhC: number, hs: number, whh: number, gOut: number, dh: number, dc: number, dproj: number, dw: number, dpre: number, dhPrev: number, batchFirst: number, reverse: number, wantDw: number, pack: number): void;
  rnnForward(T: number, B: number, H: number, proj: number, whh: number, hs: number, out: number, relu: number, batchFirst: number, reverse: number, pack: number): void;
  rnnBackward(T: number, B: number, H: number, hs: number, whh: number, gOut: number, dh: number, dproj: number, dw: number, dpre: number, relu: number, batchFirst: number, reverse: number, wantDw: number, pack: number): void;
  gruForward(T: number, B: number, H: number, proj: number, whh: number, bhh: number, hs: number, hps: number, acts: number, out: number, batchFirst: number, reverse: number, pack: number): void;
  gruBackward(T: number, B: number, H: number, hs: number, hps: number, acts: number, whh: number, gOut: number, dh: number, dproj: number, dw: number, db: number, dhp: number, dhPrev: number, batchFirst: number, reverse: number, wantDw: number, wantDb: number, pack: number): void;
  mapInPlace(kind: number, p: number, n: number): void;
}

/** A loaded kernel module, or why none could be loaded. */
export type LoadResult = { ok: true; exports: KernelExports; variant: 'relaxed-simd' | 'simd' } | { ok: false; reason: string };

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
let syncRefused: { variant: 'relaxed-simd' | 'simd'; bytes: Uint8Array } | null = null;

/** Instantiates the fastest kernel build this engine accepts (once). */
export function loadKernels(): LoadResult {
  if (cached) return cached;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm || typeof wasm.validate !== 'function') return (cached = { ok: false, reason: 'this JavaScript engine has no WebAssembly' });
  enableRelaxedSimdInNode();
  const candidates: ['relaxed-simd' | 'simd', string][] = [
    ['relaxed-simd', RELAXED_SIMD],
    ['simd', SIMD],
  ];
  const failures: string[] = [];
  for (const [variant, text] of candidates) {
    const bytes = decodeBase64(text);
    if (!wasm.validate(bytes)) {
      failures.push(`${variant}: not supported by this engine`);
      continue;
    }
    try {
      const instance = new wasm.Instance(new wasm.Module(bytes), {});
      return (cached = { ok: true, exports: instance.exports as unknown as KernelExports, variant });
    } catch (e) {
      syncRefused ??= { variant, bytes };
      failures.push(`${variant}: ${(e as Error).message}`);
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
    const { instance } = await wasm.instantiate(retry.bytes, {});
    return (cached = { ok: true, exports: instance.exports as unknown as KernelExports, variant: retry.variant });
  } catch (e) {
    return { ok: false, reason: `${retry.variant}: ${(e as Error).message}` };
  }
}
