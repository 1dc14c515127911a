import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The workspace packages resolve to their TypeScript sources ("source" export condition), as in tests and
// examples; the shared task generators live in examples/lib, one folder up.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { conditions: ['source', 'import', 'module', 'browser', 'default'] },
  worker: { format: 'es' },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
