/// <reference lib="dom" />
/**
 * Threads of the WebAssembly backend in a real browser (Debian's Chromium,
 * driven by playwright-core), on a page's main thread. Served cross-origin
 * isolated (COOP + COEP), the page gets the shared-memory build and worker
 * threads, and a product and an LSTM's gradients come out bit for bit the
 * same on 1 and 2 threads; served without those headers, it runs on one
 * thread and says why. Either way the numbers are right.
 *
 * CI installs Chromium (.ci/run); without a browser the suite is skipped with
 * a message, except under CI=true where a missing browser is a failure.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const executable = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => Boolean(p) && existsSync(p!));
if (!executable && process.env.CI) throw new Error('browser threads e2e: no Chromium found under CI; .ci/run installs it with apt-get (apt-get install -y chromium)');
if (!executable) console.warn('browser threads e2e: skipped — no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');

interface PageResult {
  backend: string;
  info: { available: boolean; count: number; workersReady: number; reason?: string };
  count: number;
  product: number[];
  grads: number[][];
  maxError: number;
  /** Products and sequence kernels split between threads during the run. */
  splits: number;
}

// Runs in the page: the same work on n threads, after the workers have joined.
const entry = `
  import * as T from ${JSON.stringify(resolve(root, 'packages/autograd/src/index.ts'))};
  import { wasmSplitCount } from ${JSON.stringify(resolve(root, 'packages/autograd/src/backend/select.ts'))};
  async function onThreads(n) {
    const count = T.setNumThreads(n);
    for (let i = 0; i < 500 && T.backendInfo().wasm.threads.workersReady < count - 1; i++) {
      T.matmul(T.ones([64, 64]), T.ones([64, 64]));
      await new Promise((r) => setTimeout(r, 10));
    }
    return count;
  }
  window.runOn = async (n) => {
    await T.backendReady();
    const count = await onThreads(n);
    const splitsBefore = wasmSplitCount();
    const g = new T.Generator(5);
    const a = T.randn([96, 130], { generator: g }), b = T.randn([130, 70], { generator: g });
    const product = T.matmul(a, b);
    // Against a float64 product: the split must not cost accuracy either.
    const exact = T.matmul(a.to('float64'), b.to('float64'));
    let maxError = 0;
    for (let i = 0; i < exact.size; i++) maxError = Math.max(maxError, Math.abs(product.data[i] - exact.data[i]));
    const B = 24, S = 7, I = 5, H = 40;
    const param = (shape, scale) => T.tensor(T.randn(shape, { generator: g }).mul(scale).data, { shape, requiresGrad: true });
    const wih = param([4 * H, I], 0.3), whh = param([4 * H, H], 0.2), bih = param([4 * H], 0.1);
    const x = T.randn([B, S, I], { generator: g });
    const [out] = T.lstmSequence(T.linear(x, wih, bih), T.zeros([B, H]), T.zeros([B, H]), whh, { batchFirst: true });
    out.mul(out).sum().backward();
    return { backend: T.getBackend(), info: T.backendInfo().wasm.threads, count, product: Array.from(product.data), grads: [wih, whh, bih].map((p) => Array.from(p.grad.data)), maxError, splits: wasmSplitCount() - splitsBefore };
  };
  window.pageReady = true;`;

describe.skipIf(!executable)('WebAssembly threads in Chromium', () => {
  let browser: Browser;
  let server: ReturnType<typeof createServer>;
  let base = '';

  beforeAll(async () => {
    const bundle = await build({ stdin: { contents: entry, resolveDir: root, loader: 'js' }, bundle: true, platform: 'browser', format: 'iife', conditions: ['source'], write: false, logLevel: 'silent' });
    const script = bundle.outputFiles[0]!.text;
    server = createServer((req, res) => {
      const isolated = req.url?.startsWith('/isolated/');
      const headers = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
      if (req.url?.endsWith('/app.js')) res.writeHead(200, { 'content-type': 'text/javascript', ...headers }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html', ...headers }).end('<!doctype html><script src="app.js"></script>');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: executable!, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}${path}`);
    await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 30_000 });
    return { page, errors };
  }
  const runOn = (page: Page, n: number) => page.evaluate((k) => (window as unknown as { runOn(n: number): Promise<PageResult> }).runOn(k), n);

  it('cross-origin isolated: workers join, and 1 and 2 threads give identical bits for a product and LSTM gradients', async () => {
    const { page, errors } = await open('/isolated/');
    const two = await runOn(page, 2);
    expect(two.backend).toBe('wasm');
    expect(two.info.available, JSON.stringify(two.info)).toBe(true);
    expect(two.count).toBe(2);
    expect(two.info.workersReady).toBeGreaterThanOrEqual(1);
    expect(two.splits).toBeGreaterThanOrEqual(3); // the product, the LSTM forward and backward at least
    const one = await runOn(page, 1);
    expect(one.count).toBe(1);
    expect(one.splits).toBe(0);
    expect(two.product).toEqual(one.product);
    expect(two.grads).toEqual(one.grads);
    expect(two.maxError).toBeLessThan(1e-3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('not isolated: one thread, the reason reported, the same numbers', async () => {
    const { page, errors } = await open('/plain/');
    const r = await runOn(page, 2);
    expect(r.backend).toBe('wasm');
    expect(r.info.available).toBe(false);
    expect(r.info.reason).toMatch(/cross-origin isolated|SharedArrayBuffer/);
    expect(r.count).toBe(1);
    expect(r.splits).toBe(0);
    expect(r.maxError).toBeLessThan(1e-3);
    const isolated = await open('/isolated/');
    expect((await runOn(isolated.page, 2)).product).toEqual(r.product);
    expect(errors).toEqual([]);
    await page.close();
    await isolated.page.close();
  });
});
