/**
 * JSON for optimizer state that keeps every number. JSON has no NaN or
 * ±Infinity (JSON.stringify writes them as null, which would reload as 0),
 * and a diverged run's state holds them; they are written as the tagged
 * object `{ "$float": "NaN" | "Infinity" | "-Infinity" }` and read back
 * exactly. Every other value passes through unchanged.
 */
import { ValueError, describeValue } from '@tapegrad/autograd';
import type { Json } from './json.js';

const TAG = '$float';

/** A number as JSON: itself when finite, the tagged form otherwise. */
export function encodeNumber(v: number): Json {
  return Number.isFinite(v) ? v : { [TAG]: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
}

/** Reads a number written by encodeNumber; anything else is a ValueError naming `where`. */
export function decodeNumber(fn: string, where: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.getOwnPropertyNames(v);
    const tag = (v as Record<string, unknown>)[TAG];
    if (keys.length === 1 && keys[0] === TAG) {
      if (tag === 'NaN') return NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
    }
  }
  throw new ValueError(fn, `${where} must be a number, got ${describeValue(v)}`);
}

/** Deep copy of a JSON-like value with non-finite numbers tagged (clip states, hyper-parameters). */
export function encodeJson(v: unknown): Json {
  if (typeof v === 'number') return encodeNumber(v);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(encodeJson);
  if (typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v as object)) if (x !== undefined) Object.defineProperty(out, k, { value: encodeJson(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  throw new ValueError('stateDict', `cannot serialize a ${typeof v}`);
}

/** The inverse of encodeJson (deep copy; tagged numbers restored). */
export function decodeJson(v: Json): Json {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeJson);
  const keys = Object.getOwnPropertyNames(v);
  if (keys.length === 1 && keys[0] === TAG) return decodeNumber('loadStateDict', 'a tagged number', v);
  const out: { [key: string]: Json } = {};
  for (const k of keys) Object.defineProperty(out, k, { value: decodeJson(v[k]!), enumerable: true, writable: true, configurable: true });
  return out;
}
