/**
 * Shadow clipping: rules evaluated on the raw gradients and reported, never
 * applied. Invariants: the trajectory is exactly the one without shadows; a
 * shadow's report equals what that rule does when it is the applied one on
 * the same gradients; its state is kept and checkpointed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { SGD, clipByGlobalNorm, clipByNorm, zClip } from '../src/index.js';

function setup(shadow: boolean, seed: number) {
  const gen = new T.Generator(seed);
  const w = T.randn([3, 2], { dtype: 'float64', generator: gen }).requiresGrad_();
  const b = T.randn([2], { dtype: 'float64', generator: gen }).requiresGrad_();
  const opt = new SGD([['w', w], ['b', b]], { lr: 0.1, clip: clipByGlobalNorm(1), ...(shadow ? { shadow: [zClip({ warmup: 2 }), clipByNorm(0.5)] } : {}) });
  const step = (s: number) => {
    opt.zeroGrad();
    const x = T.randn([4, 3], { dtype: 'float64', generator: new T.Generator(seed * 1000 + s) });
    T.sum(T.square(T.add(T.matmul(x, w), b))).mul(s % 3 === 2 ? 50 : 1).backward();
    return opt.step();
  };
  return { w, b, opt, step };
}

describe('shadow clipping', () => {
  it('invariant: shadows change nothing — parameters, gradients and the applied report match a run without them, bit for bit', () => {
    fc.assert(
      fc.property(fc.nat(1000), (seed) => {
        const plain = setup(false, seed), shadowed = setup(true, seed);
        for (let s = 0; s < 6; s++) {
          const a = plain.step(s), b = shadowed.step(s);
          expect(b.clip).toEqual(a.clip);
          expect(b.shadow).toHaveLength(2);
          expect(a.shadow).toBeUndefined();
        }
        expect(Array.from(shadowed.w.data)).toEqual(Array.from(plain.w.data));
        expect(Array.from(shadowed.b.grad!.data)).toEqual(Array.from(plain.b.grad!.data));
      }),
      { numRuns: 15 },
    );
  });
  it("a shadow's report is what the rule reports when applied to the same raw gradients; scope 'shadow'", () => {
    const { opt, step } = setup(true, 3);
    const report = step(2);
    const shadowNorm = report.shadow![1]!;
    expect(shadowNorm.scope).toBe('shadow');
    expect(shadowNorm.name).toBe('clipByNorm(0.5)');
    // Apply clipByNorm(0.5) by hand to the raw gradients of this step: recompute them.
    const raw = report.groups[0]!.params.map((p) => p.normBefore);
    expect(shadowNorm.tensors.map((t) => t.normBefore)).toEqual(raw);
    shadowNorm.tensors.forEach((t) => expect(t.normAfter).toBeCloseTo(Math.min(t.normBefore, 0.5), 12));
    expect(report.clip!.normBefore).toBeCloseTo(shadowNorm.normBefore, 12);
    expect(opt.shadowStates).toHaveLength(2);
  });
  it('shadow states are saved in the state dict and restored; a snapshot with other shadow rules is refused', () => {
    const a = setup(true, 5);
    for (let s = 0; s < 4; s++) a.step(s);
    const sd = JSON.parse(JSON.stringify(a.opt.stateDict()));
    expect(sd.shadow).toEqual([a.opt.shadow[0]!.name, 'clipByNorm(0.5)']);
    expect(sd.shadow[0]).toMatch(/^zClip/);
    const b = setup(true, 5);
    b.opt.loadStateDict(sd);
    expect(JSON.stringify(b.opt.shadowStates)).toBe(JSON.stringify(a.opt.shadowStates));
    const other = new SGD([['w', b.w], ['b', b.b]], { lr: 0.1, clip: clipByGlobalNorm(1), shadow: [clipByNorm(0.25)] });
    expect(() => other.loadStateDict(sd)).toThrow(/shadow rules are/);
  });
  it('rejects a shadow that is not a transformation, by position', () => {
    const w = T.zeros([2]).requiresGrad_();
    expect(() => new SGD([w], { lr: 0.1, shadow: [clipByNorm(1), {} as never] })).toThrow(/shadow\[1\]/);
    expect(() => new SGD([w], { lr: 0.1, shadow: clipByNorm(1) as never })).toThrow(/shadow must be a list/);
  });
  it('setClip switches the applied rule from the next step, with a fresh state; null removes it', () => {
    const { opt, step } = setup(true, 7);
    step(0);
    opt.setClip(clipByNorm(0.25));
    const r = step(1);
    expect(r.clip!.name).toBe('clipByNorm(0.25)');
    r.clip!.tensors.forEach((t) => expect(t.normAfter).toBeLessThanOrEqual(0.25 + 1e-12));
    opt.setClip(null);
    expect(step(2).clip).toBeNull();
    expect(() => opt.setClip({} as never)).toThrow(/setClip/);
  });
});
