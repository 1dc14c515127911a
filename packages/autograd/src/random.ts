/**
 * A seedable random generator (xoshiro128**, seeded through splitmix32) so
 * runs are reproducible. A default generator backs every random factory;
 * pass `{ generator }` to use your own stream.
 */
import { ValueError } from './errors.js';
import { checkOptions, describeValue, requireNumber } from './validate.js';

/** Serializable generator state (four 32-bit words and the cached normal). */
export interface GeneratorState {
  s: [number, number, number, number];
  spare: number | null;
}

/** A seedable pseudo-random stream: xoshiro128** (Blackman & Vigna 2018), uniforms with 53 random bits, normals by Box–Muller. */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Box–Muller yields normals in pairs; the second is kept here. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the stream from an integer seed. */
  manualSeed(seed: number): this {
    requireNumber('manualSeed', 'seed', seed, { integer: true });
    let x = Math.floor(seed) >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9 + hi) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high) (callers validate the bounds). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** A copy of the state (JSON-serializable), for setState. */
  getState(): GeneratorState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /**
   * Restores a state from getState(). Validated first: four 32-bit words, not
   * all zero (xoshiro's one absorbing state: every draw would be 0 and
   * `normal()` would loop forever), and `spare` a finite number or null.
   */
  setState(state: GeneratorState): this {
    if (state === null || typeof state !== 'object') throw new ValueError('Generator.setState', `state must be an object from getState(), got ${describeValue(state)}`);
    checkOptions('Generator.setState', state, ['s', 'spare']);
    const s: unknown = state.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32)) {
      throw new ValueError('Generator.setState', `state.s must be four 32-bit integers, got ${Array.isArray(s) ? `[${s.map(describeValue).join(', ')}]` : describeValue(s)}`);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new ValueError('Generator.setState', 'state.s is all zeros, which xoshiro128** never leaves (every draw would be 0)');
    const spare: unknown = state.spare;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare))) throw new ValueError('Generator.setState', `state.spare must be a finite number or null, got ${describeValue(spare)}`);
    [this.s0, this.s1, this.s2, this.s3] = s.map((w: number) => w | 0) as [number, number, number, number];
    this.spare = spare as number | null;
    return this;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when no `generator` option is given. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
