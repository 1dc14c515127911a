/**
 * `pnpm bench --torch`: PyTorch (through /usr/bin/python3, Debian's
 * python3-torch with OpenBLAS — bench/setup-torch.sh installs both) measured
 * in the same run as tapegrad, one thread each, and the ratios printed.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as T from '@tapegrad/autograd';
import { table, timeit } from './harness.js';
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

export async function benchTorch(): Promise<void> {
  const torch = runTorch(1);
  if (typeof torch === 'string') {
    console.log(`\n--torch: ${torch}`);
    return;
  }
  const backend = T.getBackend();
  T.setBackend('wasm');
  const gflops = (n: number) => {
    const a = T.randn([n, n]), b = T.randn([n, n]);
    return (2 * n ** 3) / timeit(() => T.matmul(a, b), { minMs: 1500 }) / 1e6;
  };
  const ours = { matmul256: gflops(256), matmul1024: gflops(1024), W2: timeit(tapegradStep(W2).step, { minMs: 3000, minReps: 5 }), W3: timeit(tapegradStep(W3).step, { minMs: 3000, minReps: 5 }) };
  T.setBackend(backend);
  table(`tapegrad:wasm vs torch ${torch.torch} (${torch.blas}), one thread each`, ['workload', 'tapegrad:wasm', `torch-${torch.blas}:1`, 'tapegrad ÷ torch', 'target'], [
    ['matmul 256² (GFLOP/s)', ours.matmul256, torch.matmul256, ours.matmul256 / torch.matmul256, ''],
    ['matmul 1024² (GFLOP/s)', ours.matmul1024, torch.matmul1024, ours.matmul1024 / torch.matmul1024, ''],
    ['W2 train step (ms)', ours.W2, torch.W2, ours.W2 / torch.W2, 'time ≤ 1.3×'],
    ['W3 train step (ms)', ours.W3, torch.W3, ours.W3 / torch.W3, 'time ≤ 1.0×'],
  ]);
}
