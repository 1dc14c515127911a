/**
 * The three packages bundle for browsers (no Node built-ins reachable) and
 * train a model inside a V8 context that has no Node globals at all — no
 * process, require, Buffer or fs — only what a browser also provides.
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('browser bundle', () => {
  it('bundles autograd, nn and optim for the browser and trains an LSTM on the WebAssembly backend in a context without Node globals', async () => {
    const entry = `
      import * as T from ${JSON.stringify(resolve(root, 'packages/autograd/src/index.ts'))};
      import * as nn from ${JSON.stringify(resolve(root, 'packages/nn/src/index.ts'))};
      import * as optim from ${JSON.stringify(resolve(root, 'packages/optim/src/index.ts'))};
      export function run() {
        const g = new T.Generator(1);
        const lstm = new nn.LSTM(3, 8, { batchFirst: true, generator: g });
        const head = new nn.Linear(8, 2, { generator: g });
        const opt = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.05, clip: optim.clipByGlobalNorm(1) });
        const x = T.randn([8, 5, 3], { generator: g });
        const y = T.tensor(Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]));
        const losses = [];
        for (let i = 0; i < 30; i++) {
          opt.zeroGrad();
          const loss = T.crossEntropy(head.forward(T.select(lstm.forward(x).out, 1, -1)), y);
          loss.backward();
          opt.step();
          losses.push(loss.item());
        }
        const bytes = nn.serializeSafetensors(lstm.stateDict());
        const back = nn.parseSafetensors(bytes).tensors;
        let fileError = '';
        try { nn.saveCheckpoint(lstm, 'x.safetensors'); } catch (e) { fileError = e.message; }
        return { first: losses[0], last: losses[losses.length - 1], keys: Object.keys(back).length, fileError, backend: T.getBackend(), info: T.backendInfo() };
      }`;
    const result = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'tapegrad',
      conditions: ['source'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const context: Record<string, unknown> = { TextEncoder, TextDecoder, console };
    runInNewContext(`${code}\nglobalThis.__result = tapegrad.run();`, context);
    expect(context.process).toBeUndefined();
    const r = context.__result as { first: number; last: number; keys: number; fileError: string; backend: string; info: { wasm: { variant?: string } } };
    // It trained on the WebAssembly kernels (relaxed-SIMD FMA in this V8, as in browsers).
    expect(r.backend).toBe('wasm');
    expect(r.info.wasm.variant).toMatch(/simd/);
    expect(r.last).toBeLessThan(r.first * 0.5);
    expect(r.keys).toBe(4);
    expect(r.fileError).toMatch(/file checkpoints need Node\.js .* in a browser use serializeSafetensors/);
  });
});

describe('browser main thread', () => {
  it('where synchronous compilation over 4 KB is refused (as on a browser main thread), tapegrad starts on js and switches to wasm once backendReady() resolves', async () => {
    const entry = `
      import * as T from ${JSON.stringify(resolve(root, 'packages/autograd/src/index.ts'))};
      export const atLoad = T.getBackend();
      export const ready = T.backendReady().then((b) => ({ b, y: T.matmul(T.ones([2, 3]), T.ones([3, 2])).toArray() }));`;
    const result = await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'browser', format: 'iife', globalName: 'tapegrad', conditions: ['source'], write: false, logLevel: 'silent' });
    // Chrome's rule: new WebAssembly.Module() on the main thread throws for buffers over 4 KB; WebAssembly.instantiate() is fine.
    // The project's tsconfig has no DOM lib: the host's WebAssembly, typed as much as is used here.
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean; Module: new (b: Uint8Array) => object; Instance: unknown; instantiate(b: Uint8Array, i: object): Promise<unknown> } }).WebAssembly;
    const strict = {
      validate: (b: Uint8Array) => wasm.validate(b),
      Module: function (b: Uint8Array) {
        if (b.length > 4096) throw new RangeError('WebAssembly.Module(): Buffer size is larger than 4 KB; use WebAssembly.compile');
        return new wasm.Module(b);
      },
      Instance: wasm.Instance,
      instantiate: (b: Uint8Array, imports: object) => wasm.instantiate(b, imports),
    };
    const context: Record<string, unknown> = { TextEncoder, TextDecoder, console, WebAssembly: strict };
    runInNewContext(`${result.outputFiles[0]!.text}\nglobalThis.__t = tapegrad;`, context);
    const t = context.__t as { atLoad: string; ready: Promise<{ b: string; y: number[][] }> };
    expect(t.atLoad).toBe('js');
    const r = await t.ready;
    expect(r.b).toBe('wasm');
    expect(r.y).toEqual([[3, 3], [3, 3]]);
  });
});
