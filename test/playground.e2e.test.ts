/// <reference lib="dom" />
/**
 * Clip Lab in a real browser (Debian's Chromium driven by playwright-core):
 * the built page loads, trains the temporal-order showdown unclipped and
 * clipped in its Web Worker, the charts update, the clipped run's loss falls
 * and its gradient norm after clipping never exceeds the threshold, the rule
 * changes mid-run, the JSONL export has a row per step, and screenshots at a
 * laptop and a phone size are kept in test-artifacts/ (look at them).
 *
 * CI installs Chromium (.ci/run); without a browser the suite is skipped with
 * a message, except under CI=true where a missing browser is a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepPoint } from '../playground/src/protocol.js';
import { parseSafetensors } from '@tapegrad/nn';

const root = resolve(import.meta.dirname, '..');
const dist = resolve(root, 'playground/dist');
const artifacts = resolve(root, 'test-artifacts');
const executable = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => Boolean(p) && existsSync(p!));
if (!executable && process.env.CI) throw new Error('playground e2e: no Chromium found under CI; .ci/run installs it with apt-get (apt-get install -y chromium)');
if (!executable) console.warn('playground e2e: skipped — no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.wasm': 'application/wasm' };

type Point = StepPoint;
interface LabState {
  backend: string;
  threads: { count: number; available: boolean; reason?: string } | null;
  points: Point[];
  strips: unknown[];
  exported: { jsonl: string } | null;
  errors: string[];
}

const lab = (page: Page) => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { clipLab: unknown }).clipLab, (_k, v) => (v instanceof Uint8Array ? v.length : v))) as LabState);

async function trainUntil(page: Page, steps: number): Promise<void> {
  await page.click('#train');
  await page.waitForFunction((n) => (window as unknown as { clipLab: { points: unknown[] } }).clipLab.points.length >= n, steps, { timeout: 60_000 });
  await page.click('#train');
}

describe.skipIf(!executable)('Clip Lab in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: ReturnType<typeof createServer>;
  let url = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [resolve(root, 'node_modules/vite/bin/vite.js'), 'build', 'playground', '--logLevel', 'warn'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    server = createServer((req, res) => {
      const path = join(dist, decodeURIComponent((req.url ?? '/').split('?')[0]!) === '/' ? 'index.html' : decodeURIComponent(req.url!.split('?')[0]!));
      if (!path.startsWith(dist) || !existsSync(path)) {
        res.writeHead(404).end();
        return;
      }
      // Served cross-origin isolated, as vite.config.ts serves it: the WebAssembly backend may then use threads.
      res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }).end(readFileSync(path));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: executable!, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { clipLab: { backend: string } }).clipLab.backend !== '', undefined, { timeout: 30_000 });
    mkdirSync(artifacts, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('trains the showdown in the worker: unclipped diverges, clipped learns with ‖g‖ after ≤ threshold; charts update', async () => {
    await page.click('[data-preset="unclipped"]');
    await trainUntil(page, 120);
    const unclipped = await lab(page);
    expect(unclipped.errors).toEqual([]);
    expect(unclipped.backend).toBe('wasm');
    // Cross-origin isolated: the worker's WebAssembly backend has threads (the page's status line says how many).
    expect(unclipped.threads?.available, JSON.stringify(unclipped.threads)).toBe(true);
    expect(unclipped.threads!.count).toBeGreaterThanOrEqual(1);
    expect(unclipped.points.every((p) => p.rule === 'none' && !p.clipped)).toBe(true);
    expect(Math.max(...unclipped.points.map((p) => p.normBefore))).toBeGreaterThan(1);

    await page.click('[data-preset="clipped"]');
    await trainUntil(page, 300);
    const clipped = await lab(page);
    expect(clipped.points[0]!.step).toBe(1); // the reset started a new run
    for (const p of clipped.points) expect(p.normAfter).toBeLessThanOrEqual(0.1 * (1 + 1e-6));
    const mean = (xs: Point[]) => xs.reduce((s, p) => s + p.loss, 0) / xs.length;
    expect(mean(clipped.points.slice(-30))).toBeLessThan(0.5 * mean(clipped.points.slice(0, 30)));
    // Every rule not applied is evaluated as a shadow and drawn.
    expect(clipped.points[0]!.shadow.map((s) => s.name).join()).toMatch(/zClip.*|clipByValue/);
    expect(clipped.strips.length).toBeGreaterThan(5);
    const drawn = await page.evaluate(() => ({ canvases: document.querySelectorAll('.uplot canvas').length, strip: document.querySelector('#strip svg') !== null, rows: document.querySelectorAll('#params tbody tr').length }));
    expect(drawn.canvases).toBeGreaterThanOrEqual(2);
    expect(drawn.strip).toBe(true);
    expect(drawn.rows).toBe(6); // LSTM weights and biases + the head's
    await page.screenshot({ path: join(artifacts, 'playground-laptop.png'), fullPage: true });
  }, 120_000);

  it('switching the rule mid-run takes effect at the next step, in the same run', async () => {
    const before = (await lab(page)).points.length;
    await page.selectOption('select[name="rule"]', 'clipByValue');
    await page.fill('input[name="threshold"]', '0.05');
    await page.dispatchEvent('input[name="threshold"]', 'change');
    await trainUntil(page, before + 40);
    const after = (await lab(page)).points;
    expect(after[before]!.step).toBe(before + 1);
    expect(after.slice(before + 2).every((p) => p.rule === 'clipByValue(0.05)')).toBe(true);
  }, 60_000);

  it('reset replays the same run: same seed, same losses', async () => {
    await page.click('[data-preset="clipped"]');
    await trainUntil(page, 40);
    const first = (await lab(page)).points.slice(0, 40).map((p) => p.loss);
    await page.click('#reset');
    await trainUntil(page, 40);
    const second = (await lab(page)).points.slice(0, 40).map((p) => p.loss);
    expect(second).toEqual(first);
  }, 60_000);

  it('exports the run as JSONL (the GradientMonitor format), one row per step', async () => {
    await page.click('#export-jsonl');
    await page.waitForFunction(() => (window as unknown as { clipLab: { exported: unknown } }).clipLab.exported !== null, undefined, { timeout: 30_000 });
    const { exported, points } = await lab(page);
    const rows = exported!.jsonl.trim().split('\n').map((l) => JSON.parse(l) as { step: number; groups: unknown[]; loss: number });
    expect(rows.length).toBe(points.length);
    expect(rows[rows.length - 1]!.step).toBe(points[points.length - 1]!.step);
    expect(rows.every((r) => Array.isArray(r.groups) && Number.isFinite(r.loss))).toBe(true);
  }, 60_000);

  it('downloads the CSV (per-parameter columns) and the model as a safetensors file that parses back', async () => {
    const points = (await lab(page)).points.length;
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    expect(csvDownload.suggestedFilename()).toBe('clip-lab.csv');
    const csv = readFileSync((await csvDownload.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^step,group,lr,normBefore,normAfter,clipped,skipped,threshold,loss,normBefore:rnn\.weight_ih_l0/);
    expect(csv.length - 1).toBe(points);
    const [modelDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-model')]);
    const parsed = parseSafetensors(new Uint8Array(readFileSync((await modelDownload.path())!)));
    expect(Object.keys(parsed.tensors).sort()).toEqual(['head.bias', 'head.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0']);
    expect(JSON.parse(parsed.metadata.config!).rule).toBe('clipByGlobalNorm'); // the reset test's preset
  }, 60_000);

  it('fits a phone-sized screen: no horizontal scroll, controls reachable by keyboard; the cliff preset draws its surface', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('[data-preset="cliff"]');
    await trainUntil(page, 20);
    const layout = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth, surface: document.querySelector('#strip svg')?.textContent?.includes('log10 loss over (w, b)') ?? false }));
    expect(layout.scroll).toBeLessThanOrEqual(layout.width + 1);
    expect(layout.surface).toBe(true);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.tagName);
    expect(['BUTTON', 'SELECT', 'INPUT']).toContain(focused);
    await page.screenshot({ path: join(artifacts, 'playground-phone.png'), fullPage: true });
    // Every chart drew (no exception in the page, canvases sized) through a run whose loss falls to 1e-30.
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
