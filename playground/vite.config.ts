import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The workspace packages resolve to their TypeScript sources ("source" export condition), as in tests and
// examples; the shared task generators live in examples/lib, one folder up.
// COOP + COEP make the page cross-origin isolated, which is what lets tapegrad's WebAssembly backend share
// its memory with worker threads (setNumThreads); without them it runs on one thread. A static host of the
// built site needs the same two headers.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { conditions: ['source', 'import', 'module', 'browser', 'default'] },
  worker: { format: 'es' },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] }, headers: isolation },
  preview: { headers: isolation },
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
