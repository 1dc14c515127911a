/**
 * `pnpm bench --torch`: PyTorch (through /usr/bin/python3, Debian's
 * python3-torch with OpenBLAS — bench/setup-torch.sh installs both) measured
 * in the same run as tapegrad, one thread each, and the ratios printed.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as T from '@tapegrad/autograd';
import { DEFAULT_THREADS, table, timeit, verdict, withThreads } from './harness.js';
import { W2, W3, tapegradStep } from './workloads.js';

interface TorchResult {
  torch: string;
  threads: number;
  blas: string;
  matmul256: number;
  matmul1024: number;
  W2: number;
  W3: number;
}

/** Runs the PyTorch peer, or explains why it cannot. */
function runTorch(threads: number): TorchResult | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'PyTorch is not importable from /usr/bin/python3; run bench/setup-torch.sh (apt-get install python3-torch libopenblas0-pthread)';
  }
  const script = fileURLToPath(new URL('../torch/peer.py', import.meta.url));
  return JSON.parse(execFileSync('/usr/bin/python3', [script, String(threads)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } })) as TorchResult;
}

/** Rounds of the tapegrad side; each metric is the median over rounds. */
const ROUNDS = 3;

function medianRun<R extends Record<string, number>>(runs: R[]): R {
  const out: Record<string, number> = {};
  for (const key of Object.keys(runs[0]!)) {
    const values = runs.map((r) => r[key]!).sort((a, b) => a - b);
    out[key] = values[Math.floor(values.length / 2)]!;
  }
  return out as R;
}

export async function benchTorch(): Promise<void> {
  const torch = runTorch(1);
  if (typeof torch === 'string') {
    console.log(`\n--torch: ${torch}`);
    return;
  }
  const torchAll = DEFAULT_THREADS > 1 ? runTorch(DEFAULT_THREADS) : torch;
  const backend = T.getBackend();
  T.setBackend('wasm');
  const gflops = (n: number) => {
    const a = T.randn([n, n]), b = T.randn([n, n]);
    return (2 * n ** 3) / timeit(() => T.matmul(a, b), { minMs: 1500, warmup: 10 }) / 1e6;
  };
  type Run = { matmul256: number; matmul1024: number; W2: number; W3: number };
  const measure = (): Run => ({ matmul256: gflops(256), matmul1024: gflops(1024), W2: timeit(tapegradStep(W2).step, { minMs: 2000, minReps: 5 }), W3: timeit(tapegradStep(W3).step, { minMs: 2000, minReps: 5 }) });
  // Rounds alternate one thread and all threads, so a slow spell of this shared VM hits both; the median round counts.
  const ones: Run[] = [], alls: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ones.push(await withThreads(1, measure));
    alls.push(await withThreads(DEFAULT_THREADS, measure));
  }
  const one = medianRun(ones), all = medianRun(alls);
  T.setBackend(backend);
  const them = typeof torchAll === 'string' ? null : torchAll;
  const n = DEFAULT_THREADS;
  table(`tapegrad:wasm vs torch ${torch.torch} (${torch.blas}): one thread each, then tapegrad on ${n} threads (and torch on ${n}, for reference); tapegrad: median of ${ROUNDS} alternating rounds`, ['workload', 'tapegrad:wasm', `torch-${torch.blas}:1`, 'tapegrad ÷ torch:1', 'target', '', `tapegrad:wasm ×${n}`, `×${n} ÷ torch:1`, 'target', '', `torch-${torch.blas}:${n}`], [
    ['matmul 256² (GFLOP/s)', one.matmul256, torch.matmul256, one.matmul256 / torch.matmul256, '', '', all.matmul256, all.matmul256 / torch.matmul256, '', '', them?.matmul256 ?? '–'],
    ['matmul 1024² (GFLOP/s)', one.matmul1024, torch.matmul1024, one.matmul1024 / torch.matmul1024, '', '', all.matmul1024, all.matmul1024 / torch.matmul1024, '', '', them?.matmul1024 ?? '–'],
    ['W2 train step (ms)', one.W2, torch.W2, one.W2 / torch.W2, 'time ≤ 1.3×', verdict(one.W2 / torch.W2 <= 1.3), all.W2, all.W2 / torch.W2, n > 1 ? 'time ≤ 0.75×' : '', n > 1 ? verdict(all.W2 / torch.W2 <= 0.75) : '', them?.W2 ?? '–'],
    ['W3 train step (ms)', one.W3, torch.W3, one.W3 / torch.W3, 'time ≤ 1.0×', verdict(one.W3 / torch.W3 <= 1.0), all.W3, all.W3 / torch.W3, '', '', them?.W3 ?? '–'],
  ]);
}
