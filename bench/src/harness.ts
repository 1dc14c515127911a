/** Timing, garbage collection and table printing shared by the benchmarks. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as T from '@tapegrad/autograd';
import type { GradientTransformation } from '@tapegrad/optim';

setFlagsFromString('--expose_gc');
/** Forces a full garbage collection (exposed at run time, no node flag needed). */
export const gc = runInNewContext('gc') as () => void;

/** Median milliseconds per call of fn, after warm-up, over at least minMs of runs. */
export function timeit(fn: () => unknown, options: { warmup?: number; minMs?: number; minReps?: number; maxReps?: number } = {}): number {
  const { warmup = 2, minMs = 400, minReps = 3, maxReps = 200 } = options;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < minMs && times.length < maxReps)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Median ms of `clip.update` over calls that each start from the same
 * gradients, restored (untimed) before every call. Without the restore only
 * the first call clips: it brings the norm down to the threshold, every later
 * factor is 1 and the scale pass is skipped — the bench then measured the norm
 * pass alone. Throws if a timed call did not scale the data.
 */
export function timeClip(clip: GradientTransformation<null>, grads: T.Tensor[], params: T.Tensor[] | null, pristine: Float32Array[], minMs: number): number {
  const times: number[] = [];
  const start = performance.now();
  for (let call = 0; call < 2 || times.length < 5 || (performance.now() - start < minMs && times.length < 200); call++) {
    grads.forEach((g, k) => (g.data as Float32Array).set(pristine[k]!));
    const t0 = performance.now();
    const { report } = clip.update(grads, null, params ?? grads);
    const ms = performance.now() - t0;
    if (!(Math.fround(report.scale ?? 1) < 1)) throw new Error(`bench: ${clip.name} did not scale the gradients (factor ${report.scale}), so its scale pass was not measured`);
    if (call >= 2) times.push(ms); // two warm-up calls
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Prints an aligned table. */
export function table(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => String(c).padStart(widths[i]!)).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A check against a target, as printed in the tables. */
export function verdict(ok: boolean): string {
  return ok ? 'meets target' : 'MISSES target';
}

/**
 * Times several variants fairly: rounds of interleaved runs (so GC and page
 * faults from one variant's allocations land on all of them alike), keeping
 * each variant's best median.
 */
export function compareTimes(fns: Record<string, () => unknown>, rounds = 5, minMs = 200): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      gc();
      const t = timeit(fn, { minMs, warmup: 1 });
      best[k] = Math.min(best[k] ?? Infinity, t);
    }
  }
  return best;
}

/** The threads tapegrad uses by default here (TAPEGRAD_NUM_THREADS, else the cores up to 4): the "all cores" columns. */
export const DEFAULT_THREADS = T.getNumThreads();

/**
 * Runs fn with tapegrad's WebAssembly backend on n threads, after the
 * workers have joined (they start in the background on the first kernel
 * call), then restores the previous count.
 */
export async function withThreads<R>(n: number, fn: () => R | Promise<R>): Promise<R> {
  const before = T.getNumThreads();
  const used = T.setNumThreads(n);
  const a = T.ones([64, 64]);
  const deadline = performance.now() + 10_000;
  while (T.backendInfo().wasm.threads.workersReady < used - 1 && performance.now() < deadline) {
    T.matmul(a, a);
    await new Promise((r) => setTimeout(r, 10));
  }
  try {
    return await fn();
  } finally {
    T.setNumThreads(before);
  }
}
