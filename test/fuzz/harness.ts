/**
 * The fuzz harness: calls public functions with good and bad arguments and
 * checks the contract of the whole API — a valid result or a TapegradError
 * subclass, never a raw JS error, never a hang, and every tensor argument
 * (data, grad, requiresGrad) unchanged after a failure.
 */
import fc from 'fast-check';
import { Tensor, TapegradError, tensor } from '@tapegrad/autograd';

/**
 * Runs are reproducible in CI: a fixed seed unless FUZZ_SEED is set, and
 * FUZZ_SCALE multiplies every property's run count for longer local sessions
 * (`FUZZ_SEED=$RANDOM FUZZ_SCALE=20 pnpm vitest run test/fuzz`).
 */
fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261121) });
export const FUZZ_SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));

/** Outcome counts by kind: 'ok' or the error class name. */
export type Outcomes = Map<string, number>;

/** Values that are wrong almost everywhere, and edge values that are sometimes right. */
export const badValue: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  null, undefined, NaN, Infinity, -Infinity, -1, 0, 1.5, -0.5, 2 ** 31, 2 ** 33, 1e12, -1e12,
  'float16', 'abc', '', true, {}, { dims: 1 }, { clipnorm: 1 }, { dim: 0.5 }, { __proto__: { dim: 1 } }, [], [1.5], [-1], [0, 0], [1e9, 1e9],
  () => 1, Symbol('s'), 1n, new Float32Array(2), Object.create(null),
);

/** Small integers: dims, indices, sizes that are often valid. */
export const smallInt = fc.integer({ min: -3, max: 3 });

/** A small tensor: float32, float64 or int32, 0 to 3 dims of size 0 to 3, sometimes requiring grad. */
export const smallTensor: fc.Arbitrary<Tensor> = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    dtype: fc.constantFrom('float32' as const, 'float64' as const, 'int32' as const),
    grad: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ shape, dtype, grad, seed }) => {
    const size = shape.reduce((p, d) => p * d, 1);
    const data = Array.from({ length: size }, (_, i) => (dtype === 'int32' ? (seed + i) % 3 : Math.sin(seed + i * 1.7) * 2));
    return tensor(data, { shape, dtype, requiresGrad: grad && dtype !== 'int32' });
  });

/** Any argument: a tensor, a small int, a bad value, a shape, or a list of tensors. */
export const anyArg: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: smallTensor },
  { weight: 4, arbitrary: smallInt },
  { weight: 2, arbitrary: badValue },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(smallTensor, { minLength: 1, maxLength: 3 }) },
);

interface Snapshot {
  t: Tensor;
  data: number[];
  grad: number[] | null;
  requiresGrad: boolean;
}

function snapshot(args: readonly unknown[]): Snapshot[] {
  const out: Snapshot[] = [];
  const visit = (a: unknown) => {
    if (a instanceof Tensor) out.push({ t: a, data: Array.from(a.data), grad: a.grad ? Array.from(a.grad.data) : null, requiresGrad: a.requiresGrad });
    else if (Array.isArray(a)) a.forEach(visit);
  };
  args.forEach(visit);
  return out;
}

const same = (a: number[], b: ArrayLike<number>) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Time bound of one call: synchronous code cannot be interrupted, so a call that overruns it fails the test (a hang hits the test timeout). */
export const CALL_LIMIT_MS = 2000;

/**
 * Calls `fn(...args)`; records the outcome; throws (failing the property)
 * on a raw error, an overrun, or a failed call that changed a tensor.
 */
export function callChecked(name: string, fn: (...a: unknown[]) => unknown, args: readonly unknown[], outcomes: Outcomes): string {
  const before = snapshot(args);
  const t0 = performance.now();
  let kind = 'ok';
  let result: unknown;
  try {
    result = fn(...args);
  } catch (e) {
    if (!(e instanceof TapegradError)) {
      const err = e as Error;
      throw new Error(`${name}(${args.map(show).join(', ')}) threw a raw ${err?.constructor?.name ?? typeof e}: ${err?.message ?? String(e)}`);
    }
    kind = e.name;
    for (const s of before) {
      const changed = !same(s.data, s.t.data) || s.requiresGrad !== s.t.requiresGrad || (s.grad === null ? s.t.grad !== null : !s.t.grad || !same(s.grad, s.t.grad.data));
      if (changed) throw new Error(`${name}(${args.map(show).join(', ')}) failed with ${e.name} but changed a tensor argument`);
    }
  }
  const ms = performance.now() - t0;
  // A valid request for a huge tensor (arange(1, 2³¹) is 2³¹−1 elements) is slow by nature, not a hang.
  const huge = kind === 'ok' && (Array.isArray(result) ? result : [result]).some((r) => r instanceof Tensor && r.size > 5e7);
  if (ms > CALL_LIMIT_MS && !huge) throw new Error(`${name}(${args.map(show).join(', ')}) took ${ms.toFixed(0)} ms`);
  outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
  return kind;
}

/** A short description of an argument for failure messages. */
export function show(a: unknown): string {
  if (a instanceof Tensor) return `tensor(${a.dtype} [${a.shape.join(',')}]${a.requiresGrad ? ' grad' : ''})`;
  if (typeof a === 'symbol') return 'Symbol()';
  if (typeof a === 'bigint') return `${a}n`;
  if (typeof a === 'function') return 'fn';
  if (Array.isArray(a)) return `[${a.map(show).join(', ')}]`;
  if (a && typeof a === 'object') {
    try {
      return JSON.stringify(a) ?? 'object';
    } catch {
      return 'object';
    }
  }
  return String(a);
}

/** Adds `b` into `a`. */
export function mergeOutcomes(a: Outcomes, b: Outcomes): void {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0) + v);
}
