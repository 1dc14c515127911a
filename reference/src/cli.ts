/**
 * `pnpm reference <dir> [--only ops,recurrent,optim,clip,train,higher] [--dtype float64|float32]`
 * Prints one line per failing case and ends with `N passed, N failed`;
 * exits non-zero when anything failed.
 */
import { resolve } from 'node:path';
import { runReference } from './runner.js';

function main(argv: string[]): number {
  const args = [...argv];
  let only: string[] | undefined;
  const i = args.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i >= 0) {
    const value = args[i]!.includes('=') ? args[i]!.split('=')[1]! : args[i + 1];
    if (!value) {
      console.error('--only needs a comma-separated list: ops,recurrent,optim,clip,train,higher');
      return 2;
    }
    only = value.split(',').map((s) => s.trim()).filter(Boolean);
    args.splice(i, args[i]!.includes('=') ? 1 : 2);
  }
  let dtype: 'float64' | 'float32' = 'float64';
  const d = args.findIndex((a) => a === '--dtype' || a.startsWith('--dtype='));
  if (d >= 0) {
    const value = args[d]!.includes('=') ? args[d]!.split('=')[1] : args[d + 1];
    if (value !== 'float64' && value !== 'float32') {
      console.error('--dtype takes float64 (default: exact tolerances) or float32 (inputs cast, run on the active backend, float32 tolerances)');
      return 2;
    }
    dtype = value;
    args.splice(d, args[d]!.includes('=') ? 1 : 2);
  }
  const dir = args[0];
  if (!dir) {
    console.error('usage: pnpm reference <fixture-dir> [--only ops,recurrent,optim,clip,train,higher] [--dtype float64|float32]');
    return 2;
  }
  const report = runReference(resolve(process.env.INIT_CWD ?? process.cwd(), dir), only, { dtype });
  for (const line of report.failures) console.log(line);
  console.log(`${report.passed} passed, ${report.failed} failed`);
  return report.failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
