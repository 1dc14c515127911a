/** fast-check properties of the clip family; each test is named after its invariant. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@tapegrad/autograd';
import type { GradientTransformation } from '../src/index.js';
import { Adam, SGD, adaptiveGradClip, chain, clipByGlobalNorm, clipByNorm, clipByValue, identity, normalizeGradient } from '../src/index.js';
import { copy, gradListArb, norm2, normP } from './helpers.js';
import { l2Norm } from '../src/norms.js';

const run = (t: GradientTransformation, grads: readonly Tensor[], params?: readonly Tensor[]) => t.update(copy(grads), t.init(params ?? grads) as never, params ?? grads);
const maxNormArb = fc.double({ min: 1e-3, max: 100, noNaN: true });
const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

describe('clipByGlobalNorm', () => {
  for (const p of [2, 1, Infinity]) {
    it(`the global L${p} norm after clipping is at most maxNorm`, () => {
      fc.assert(fc.property(gradListArb, maxNormArb, (grads, maxNorm) => {
        const r = run(clipByGlobalNorm(maxNorm, { normType: p }), grads);
        expect(normP(r.grads as Tensor[], p)).toBeLessThanOrEqual(maxNorm * (1 + 1e-12));
      }));
    });
  }
  it('every tensor is scaled by the same factor in (0, 1] (direction of the whole gradient kept)', () => {
    fc.assert(fc.property(gradListArb, maxNormArb, (grads, maxNorm) => {
      const r = run(clipByGlobalNorm(maxNorm), grads);
      const s = r.report.scale!;
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
      grads.forEach((g, i) => g.data.forEach((v, k) => expect(close(r.grads[i]!.data[k]!, v * s, 1e-12)).toBe(true)));
    }));
  });
  it('is the identity when the norm is already under the threshold', () => {
    fc.assert(fc.property(gradListArb, (grads) => {
      const r = run(clipByGlobalNorm(norm2(grads) * 1.01 + 1e-9, { eps: 0 }), grads);
      grads.forEach((g, i) => expect(Array.from(r.grads[i]!.data)).toEqual(Array.from(g.data)));
      expect(r.report.clipped).toBe(false);
    }));
  });
  it('is idempotent: clipping twice equals clipping once (exact rule, eps = 0)', () => {
    fc.assert(fc.property(gradListArb, maxNormArb, (grads, maxNorm) => {
      const t = clipByGlobalNorm(maxNorm, { eps: 0 });
      const once = run(t, grads).grads as Tensor[];
      const twice = run(t, once).grads as Tensor[];
      once.forEach((g, i) => g.data.forEach((v, k) => expect(close(twice[i]!.data[k]!, v, 1e-12)).toBe(true)));
    }));
  });
});

describe('clipByNorm (per tensor)', () => {
  it("each tensor's norm is at most maxNorm and its direction is kept", () => {
    fc.assert(fc.property(gradListArb, maxNormArb, (grads, maxNorm) => {
      const r = run(clipByNorm(maxNorm), grads);
      grads.forEach((g, i) => {
        const out = r.grads[i]!;
        expect(norm2([out])).toBeLessThanOrEqual(maxNorm * (1 + 1e-12));
        const s = r.report.tensors.find((t) => t.index === i)!.scale;
        expect(s).toBeGreaterThan(0);
        g.data.forEach((v, k) => expect(close(out.data[k]!, v * s, 1e-12)).toBe(true));
      });
    }));
  });
  it('does NOT keep the direction of the whole gradient in general (fast-check finds a counterexample)', () => {
    // Claim "per-tensor clipping keeps the whole gradient's direction": cosine(before, after) = 1.
    const claim = fc.property(gradListArb, maxNormArb, (grads, maxNorm) => {
      const after = run(clipByNorm(maxNorm), grads).grads as Tensor[];
      const dot = grads.reduce((s, g, i) => s + Array.from(g.data).reduce((a, v, k) => a + v * after[i]!.data[k]!, 0), 0);
      const cos = dot / (norm2(grads) * norm2(after) || 1);
      return Math.abs(cos - 1) < 1e-9;
    });
    const result = fc.check(claim, { numRuns: 500 });
    expect(result.failed).toBe(true);
  });
});

describe('clipByValue', () => {
  const boundArb = fc.double({ min: 1e-3, max: 10, noNaN: true });
  it('every entry is within range, signs are kept, entries already in range are unchanged', () => {
    fc.assert(fc.property(gradListArb, boundArb, (grads, v) => {
      const r = run(clipByValue(v), grads);
      grads.forEach((g, i) =>
        g.data.forEach((x, k) => {
          const y = r.grads[i]!.data[k]!;
          expect(Math.abs(y)).toBeLessThanOrEqual(v);
          expect(Math.sign(y)).toBe(Math.sign(x));
          if (Math.abs(x) <= v) expect(y).toBe(x);
        }),
      );
    }));
  });
  it('is idempotent', () => {
    fc.assert(fc.property(gradListArb, boundArb, (grads, v) => {
      const once = run(clipByValue(v), grads).grads as Tensor[];
      const twice = run(clipByValue(v), once).grads as Tensor[];
      once.forEach((g, i) => expect(Array.from(twice[i]!.data)).toEqual(Array.from(g.data)));
    }));
  });
  it('asymmetric bounds clamp to [min, max]', () => {
    const g = new Tensor(Float64Array.from([-5, -0.1, 0.2, 9]), [4]);
    expect(Array.from(run(clipByValue(-1, 0.5), [g]).grads[0]!.data)).toEqual([-1, -0.1, 0.2, 0.5]);
  });
});

describe('adaptiveGradClip', () => {
  const unitRatios = (g: Tensor, p: Tensor, eps: number) => {
    // A 0-d or 1-D tensor is one unit (NFNets, timm, optax); otherwise one unit per slice along dim 0.
    const len = p.ndim <= 1 ? Math.max(p.size, 1) : p.size / p.shape[0]!;
    const out: number[] = [];
    for (let s = 0; s < p.size; s += len) {
      const gn = l2Norm(g.data.subarray(s, s + len) as Float64Array);
      const pn = l2Norm(p.data.subarray(s, s + len) as Float64Array);
      out.push(gn / Math.max(pn, eps));
    }
    return out;
  };
  it("after clipping every unit's ratio ‖G‖/max(‖W‖, eps) is at most `clipping`; units under it are untouched", () => {
    fc.assert(fc.property(gradListArb, fc.double({ min: 0.01, max: 1, noNaN: true }), (grads, clipping) => {
      const params = grads.map((g) => new Tensor(Float64Array.from(g.data, (_v, k) => Math.cos(k + g.size)), g.shape, true));
      const r = run(adaptiveGradClip(clipping), grads, params);
      grads.forEach((g, i) => {
        const before = unitRatios(g, params[i]!, 1e-3);
        const after = unitRatios(r.grads[i]!, params[i]!, 1e-3);
        after.forEach((ratio, u) => {
          expect(ratio).toBeLessThanOrEqual(clipping * (1 + 1e-9) + 1e-12);
          if (before[u]! <= clipping) expect(ratio).toBe(before[u]);
        });
      });
    }));
  });
});

describe('normalizeGradient', () => {
  it('the result has unit global norm unless the gradient is zero', () => {
    fc.assert(fc.property(gradListArb, (grads) => {
      const r = run(normalizeGradient(), grads);
      const n = norm2(grads);
      if (n === 0) expect(norm2(r.grads)).toBe(0);
      else expect(norm2(r.grads)).toBeCloseTo(1, 12);
    }));
  });
});

describe('normalizeGradient at the edges of float64 (cases fast-check found)', () => {
  for (const values of [[-1.572e-162], [4.941e-324], [-4.941e-324, -4.941e-324], [1e-310, -3e-310, 2e-320], [1e300, -1e300]]) {
    it(`[${values.join(', ')}] is scaled to unit norm`, () => {
      const r = run(normalizeGradient(), [new Tensor(Float64Array.from(values), [values.length])]);
      expect(norm2(r.grads)).toBeCloseTo(1, 12);
      expect(r.report.normBefore).toBeCloseTo(norm2([new Tensor(Float64Array.from(values), [values.length])]), 300);
    });
  }
});

describe('chain', () => {
  it('order matters: value-then-norm differs from norm-then-value on some input (fast-check finds it)', () => {
    const claim = fc.property(gradListArb, (grads) => {
      const a = run(chain(clipByValue(0.1), clipByGlobalNorm(0.5)), grads).grads as Tensor[];
      const b = run(chain(clipByGlobalNorm(0.5), clipByValue(0.1)), grads).grads as Tensor[];
      return a.every((t, i) => t.data.every((v, k) => close(v, b[i]!.data[k]!, 1e-12)));
    });
    expect(fc.check(claim, { numRuns: 300 }).failed).toBe(true);
  });
  it('identity transformations compose to the identity', () => {
    fc.assert(fc.property(gradListArb, (grads) => {
      const r = run(chain(identity(), identity(), chain(identity())), grads);
      grads.forEach((g, i) => expect(Array.from(r.grads[i]!.data)).toEqual(Array.from(g.data)));
    }));
  });
  it('a chain reports each part, the first norm before and the last norm after', () => {
    const g = [new Tensor(Float64Array.from([3, 4]), [2])];
    const r = run(chain(clipByValue(2), clipByGlobalNorm(1, { eps: 0 })), g);
    expect(r.report.steps).toHaveLength(2);
    expect(r.report.normBefore).toBe(5);
    expect(r.report.normAfter).toBeCloseTo(1, 12);
  });
});

describe('adaptive optimizers and gradient scale', () => {
  it("scaling every gradient by c > 0 changes Adam's first update only through eps (identical when eps = 0)", () => {
    fc.assert(fc.property(gradListArb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (grads, c) => {
      // away from zero and from magnitudes whose squares underflow in float64 (there g² = 0 for any optimizer)
      fc.pre(grads[0]!.data.every((v) => Math.abs(v) > 1e-100));
      const firstUpdate = (scale: number, eps: number) => {
        const p = new Tensor(new Float64Array(grads[0]!.size), grads[0]!.shape, true);
        const opt = new Adam([p], { lr: 0.1, eps });
        p.grad = new Tensor(Float64Array.from(grads[0]!.data, (v) => v * scale), grads[0]!.shape);
        opt.step();
        return Array.from(p.data);
      };
      firstUpdate(1, 0).forEach((v, k) => expect(close(v, firstUpdate(c, 0)[k]!, 1e-12)).toBe(true));
    }));
  });
  it('…whereas SGD’s update scales linearly with c: clipping (a rescaling) changes SGD steps but barely Adam steps', () => {
    const g = Float64Array.from([0.3, -2, 5]);
    const step = (Opt: typeof SGD | typeof Adam, c: number) => {
      const p = new Tensor(new Float64Array(3), [3], true);
      const opt = new Opt([p], { lr: 0.1 });
      p.grad = new Tensor(g.map((v) => v * c), [3]);
      opt.step();
      return Array.from(p.data);
    };
    step(SGD, 1).forEach((v, k) => expect(step(SGD, 0.01)[k]).toBeCloseTo(v * 0.01, 15));
    step(Adam, 1).forEach((v, k) => expect(step(Adam, 0.01)[k]).toBeCloseTo(v, 6));
  });
});

describe('adaptiveGradClip: units and exclusions', () => {
  const p1 = () => new Tensor(Float64Array.from([3, 4]), [2], true); // ‖p‖ = 5
  it('a 1-D parameter is one unit: its whole gradient is scaled by one factor (NFNets, timm, optax)', () => {
    const g = new Tensor(Float64Array.from([6, 8]), [2]); // ‖g‖ = 10, limit 0.1·5 = 0.5
    const r = run(adaptiveGradClip(0.1), [g], [p1()]);
    expect(Array.from(r.grads[0]!.data)).toEqual([0.3, 0.4].map((v) => expect.closeTo(v, 12)));
  });
  it('a parameter named in `exclude` (string, RegExp or predicate) passes through unchanged and is reported unclipped', () => {
    for (const exclude of [['head.weight'], [/^head\./], (name: string) => name.startsWith('head')] as const) {
      const t = adaptiveGradClip(0.1, { exclude });
      const g = new Tensor(Float64Array.from([6, 8]), [2]);
      const other = new Tensor(Float64Array.from([6, 8]), [2]);
      const r = t.update([g, other], null, [p1(), p1()], ['head.weight', 'rnn.bias']);
      expect(Array.from(r.grads[0]!.data)).toEqual([6, 8]);
      expect(r.report.tensors[0]!.clipped).toBe(false);
      expect(r.report.tensors[1]!.clipped).toBe(true);
      expect(r.report.details!.tensorsExcluded).toBe(1);
    }
  });
  it('the optimizer hands the parameter names to the rule, so `exclude` works inside SGD', () => {
    const w = new Tensor(Float64Array.from([3, 4]), [2], true);
    const b = new Tensor(Float64Array.from([3, 4]), [2], true);
    w.grad = new Tensor(Float64Array.from([6, 8]), [2]);
    b.grad = new Tensor(Float64Array.from([6, 8]), [2]);
    const opt = new SGD([['head.weight', w], ['rnn.bias', b]], { lr: 0, clip: adaptiveGradClip(0.1, { exclude: ['head.weight'] }) });
    opt.step();
    expect(Array.from(w.grad.data)).toEqual([6, 8]);
    expect(b.grad.data[0]).toBeCloseTo(0.3, 12);
  });
  it('a malformed exclude is a named error when the rule is built', () => {
    expect(() => adaptiveGradClip(0.1, { exclude: [3 as unknown as string] })).toThrow(/adaptiveGradClip: exclude\[0\]/);
    expect(() => adaptiveGradClip(0.1, { exclude: 'head' as unknown as string[] })).toThrow(/adaptiveGradClip: exclude must be/);
  });
});
