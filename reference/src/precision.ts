/**
 * The precision a fixture run replays in. Fixtures are PyTorch float64;
 * `float64` (the default) compares at rtol 1e-9 (training runs 1e-7), as
 * FORMAT.md states. `float32` casts every fixture input to float32, runs on
 * the active backend (WebAssembly SIMD by default) and compares with float32
 * tolerances: rtol 1e-4 + atol 1e-5 for single ops, layers, optimizer steps
 * and clips (float32 keeps ~7 digits; a few roundings compound), and rtol 1e-3
 * + atol 1e-4 for whole training runs (25 steps of compounding rounding).
 * On ../shared/fixtures every case also passes at 3e-6 (training runs 2e-4):
 * the bounds leave room for other fixture directories, not for bugs.
 */
import type { Tolerance } from './fixture.js';

/** The float dtype fixture tensors are loaded in. */
export type Precision = 'float64' | 'float32';

let current: Precision = 'float64';

/** The precision of the run in progress. */
export function precision(): Precision {
  return current;
}

/** Runs `fn` with fixtures loaded in `p`, then restores the previous precision. */
export function withPrecision<R>(p: Precision, fn: () => R): R {
  const previous = current;
  current = p;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

const TOLERANCES: Record<Precision, Record<'default' | 'train', Tolerance>> = {
  float64: { default: { rtol: 1e-9, atol: 1e-10 }, train: { rtol: 1e-7, atol: 1e-10 } },
  float32: { default: { rtol: 1e-4, atol: 1e-5 }, train: { rtol: 1e-3, atol: 1e-4 } },
};

/** The tolerance of a comparison kind in the current precision. */
export function tolerance(kind: 'default' | 'train' = 'default'): Tolerance {
  return TOLERANCES[current][kind];
}
