/**
 * Peak RSS of a W3 training run, each library in its own child process (a
 * peak is per process), and heap growth over 2,000 training steps after
 * warm-up (a tape or buffer leak would show as steady growth).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';
import { Adam, clipByGlobalNorm } from '@tapegrad/optim';
import { gc, table, verdict } from './harness.js';

const child = fileURLToPath(new URL('./rss-child.ts', import.meta.url));

function peakRss(side: 'tapegrad' | 'tapegrad:js' | 'tfjs' | 'baseline', steps: number): number {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', child, side, String(steps)], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('maxRSS '));
  if (!line) throw new Error(`rss child (${side}) failed: ${r.stderr.slice(-2000)}`);
  return Number(line.split(' ')[1]) / 1024;
}

/** Issue 9's bound: tapegrad's peak RSS on W3 when the issue was opened (PyTorch's was 261 MB). */
const RSS_BOUND_MB = 173;

export async function benchMemory(): Promise<void> {
  const baseline = peakRss('baseline', 0);
  const wasm = peakRss('tapegrad', 10), js = peakRss('tapegrad:js', 10), theirs = peakRss('tfjs', 3);
  table(
    `Peak RSS of W3 training, 10 steps (MB, each in its own process loading only its library; Node + tsx + tapegrad alone: ${baseline.toFixed(0)} MB)`,
    ['tapegrad:wasm', 'tapegrad:js', 'tfjs-cpu', 'tapegrad:wasm ÷ tfjs', 'target', ''],
    [[wasm, js, theirs, wasm / theirs, `≤ ${RSS_BOUND_MB} MB`, verdict(wasm <= RSS_BOUND_MB && js <= RSS_BOUND_MB)]],
  );
}

export async function benchLeak(steps = 2000): Promise<void> {
  const gen = new T.Generator(3);
  const lstm = new LSTM(8, 32, { batchFirst: true, generator: gen });
  const head = new Linear(32, 4, { generator: gen });
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-3, clip: clipByGlobalNorm(1) });
  const x = T.randn([16, 20, 8], { generator: gen }), y = T.randint(0, 4, [16], { generator: gen });
  // ArrayBuffer backing stores are released by V8 after a GC, asynchronously: sample after a pause and a
  // second GC, or typed arrays that are already garbage read as growth.
  const heap = async () => {
    gc();
    await new Promise((r) => setTimeout(r, 30));
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const warmup = 200;
  let base = 0;
  let peak = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    T.crossEntropy(head.forward(T.select(lstm.forward(x).out, 1, -1)), y).backward();
    opt.step();
    if (i === warmup) base = await heap();
    if (i > warmup && i % 200 === 0) peak = Math.max(peak, await heap());
  }
  const end = await heap();
  const growth = (100 * (end - base)) / base;
  table(
    `Heap over ${steps} LSTM training steps (I8 H32 S20 B16; ${((performance.now() - t0) / steps).toFixed(1)} ms/step)`,
    ['after warm-up (MB)', 'at the end (MB)', 'max sampled (MB)', 'growth', 'target', ''],
    [[base / 2 ** 20, end / 2 ** 20, peak / 2 ** 20, `${growth.toFixed(2)}%`, '≤ 5%', verdict(growth <= 5)]],
  );
}
