/**
 * Synthetic sequence tasks generated in-process (Hochreiter & Schmidhuber
 * 1997; Pascanu, Mikolov & Bengio 2013, section 5).
 */
import type { Generator } from '@tapegrad/autograd';
import { Tensor } from '@tapegrad/autograd';

/** Symbols of the temporal-order task: 4 distractors, 2 relevant symbols, begin and end markers. */
export const TEMPORAL_SYMBOLS = ['a', 'b', 'c', 'd', 'X', 'Y', 'B', 'E'] as const;

/**
 * Temporal order: a sequence of random distractors with two relevant symbols
 * (X or Y), the first at a random position in [10%, 20%) of the length and
 * the second in [50%, 60%). The class is their order: XX, XY, YX, YY (4
 * classes). Inputs are one-hot [batch, length, 8], targets int32 [batch].
 */
export function temporalOrder(batch: number, length: number, gen: Generator): { x: Tensor; y: Tensor } {
  const V = TEMPORAL_SYMBOLS.length;
  const x = new Float32Array(batch * length * V);
  const y = new Int32Array(batch);
  const pick = (lo: number, hi: number) => Math.min(length - 2, Math.max(1, Math.floor(lo * length) + gen.integer(0, Math.max(1, Math.floor((hi - lo) * length)))));
  for (let b = 0; b < batch; b++) {
    const t1 = pick(0.1, 0.2), t2 = Math.max(t1 + 1, pick(0.5, 0.6));
    const s1 = gen.integer(0, 2), s2 = gen.integer(0, 2);
    y[b] = 2 * s1 + s2;
    for (let t = 0; t < length; t++) {
      const sym = t === 0 ? 6 : t === length - 1 ? 7 : t === t1 ? 4 + s1 : t === t2 ? 4 + s2 : gen.integer(0, 4);
      x[(b * length + t) * V + sym] = 1;
    }
  }
  return { x: new Tensor(x, [batch, length, V]), y: new Tensor(y, [batch]) };
}

/**
 * Addition: each step carries a value in [0, 1) and a marker; exactly two
 * steps are marked, one in the first 10% and one in the second half. The
 * target is the sum of the two marked values. Inputs [batch, length, 2],
 * targets [batch, 1].
 */
export function addition(batch: number, length: number, gen: Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(batch * length * 2);
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const t1 = gen.integer(0, Math.max(1, Math.floor(length / 10)));
    const t2 = gen.integer(Math.floor(length / 2), length);
    let sum = 0;
    for (let t = 0; t < length; t++) {
      const v = gen.random();
      x[(b * length + t) * 2] = v;
      if (t === t1 || t === t2) {
        x[(b * length + t) * 2 + 1] = 1;
        sum += v;
      }
    }
    y[b] = sum;
  }
  return { x: new Tensor(x, [batch, length, 2]), y: new Tensor(y, [batch, 1]) };
}
