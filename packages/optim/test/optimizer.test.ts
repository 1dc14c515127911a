import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, NonFiniteError, Tensor, ValueError, tensor } from '@tapegrad/autograd';
import {
  Adam, AdamW, Adagrad, CosineAnnealingLR, ExponentialLR, GradientAccumulator, GradientMonitor, LinearWarmup, RMSprop, ReduceLROnPlateau, SGD, StepLR,
  autoClip, clipByGlobalNorm, clipByNorm, clipByValue, clipGradNorm_, clipGradValue_, getTotalNorm, zClip,
} from '../src/index.js';
import { gradListArb, withGrads } from './helpers.js';

const f64 = (v: number[]) => tensor(v, { dtype: 'float64', requiresGrad: true });
const g64 = (v: number[]) => tensor(v, { dtype: 'float64' });

describe('clip edge cases', () => {
  it('zero gradients stay zero, with no NaN, for every clip', () => {
    for (const t of [clipByGlobalNorm(1), clipByGlobalNorm(1, { eps: 0 }), clipByNorm(1), clipByValue(1)]) {
      const p = f64([1, 2]);
      p.grad = g64([0, 0]);
      new SGD([p], { lr: 0.1, clip: t }).step();
      expect(Array.from(p.grad.data)).toEqual([0, 0]);
    }
  });
  it('maxNorm 0 turns gradients into zeros without NaN', () => {
    for (const t of [clipByGlobalNorm(0), clipByGlobalNorm(0, { eps: 0 }), clipByNorm(0)]) {
      const [p] = withGrads([g64([3, -4])]);
      const opt = new SGD([p!], { lr: 1, clip: t });
      opt.step();
      expect(Array.from(p!.grad!.data).map(Math.abs)).toEqual([0, 0]);
      expect(Array.from(p!.data)).toEqual([0.5, 0.5]);
    }
  });
  it('parameters without a gradient are skipped; empty lists are fine', () => {
    const a = f64([3, 4]), b = f64([1]);
    a.grad = g64([3, 4]);
    expect(clipGradNorm_([a, b], 1)).toBeCloseTo(5, 12);
    expect(b.grad).toBeNull();
    expect(clipGradNorm_([], 1)).toBe(0);
    expect(getTotalNorm([])).toBe(0);
  });
  it('a float32 gradient with entries of 1e20 has a finite norm and is clipped correctly', () => {
    const p = tensor([0, 0, 0], { requiresGrad: true });
    p.grad = tensor([1e20, -1e20, 1e20]);
    const total = clipGradNorm_([p], 1);
    expect(total / (Math.sqrt(3) * Math.fround(1e20))).toBeCloseTo(1, 12);
    expect(Number.isFinite(total)).toBe(true);
    const norm = Math.hypot(...p.grad.data);
    expect(norm).toBeGreaterThan(0.999);
    expect(norm).toBeLessThanOrEqual(1.000001);
  });
  it('float64 norms that would overflow a plain sum of squares stay finite', () => {
    expect(getTotalNorm([g64([1e200, 1e200])])).toBeCloseTo(Math.SQRT2 * 1e200, -190);
  });
  it('mixed dtypes are rejected with a clear error, and nothing changes', () => {
    const a = tensor([1], { requiresGrad: true }), b = f64([1]);
    a.grad = tensor([5]);
    b.grad = g64([5]);
    expect(() => clipGradNorm_([a, b], 1)).toThrow(DTypeError);
    expect(() => clipGradNorm_([a, b], 1)).toThrow(/mixed gradient dtypes/);
    expect(a.grad.data[0]).toBe(5);
  });
  it('errorIfNonfinite raises on a NaN total norm and leaves gradients unchanged', () => {
    const p = f64([1, 2]);
    p.grad = g64([NaN, 3]);
    expect(() => clipGradNorm_([p], 1, { errorIfNonfinite: true })).toThrow(NonFiniteError);
    expect(p.grad.data[1]).toBe(3);
  });
  it('clipGradValue_ clamps in place', () => {
    const p = f64([0, 0]);
    p.grad = g64([-3, 0.2]);
    clipGradValue_([p], 1);
    expect(Array.from(p.grad.data)).toEqual([-1, 0.2]);
  });
  it('invalid thresholds are rejected', () => {
    expect(() => clipByGlobalNorm(-1)).toThrow(ValueError);
    expect(() => clipByValue(2, 1)).toThrow(/min ≤ max/);
  });
});

describe('where the clip sits in step()', () => {
  it('once per step, on the raw gradient, before weight decay and momentum', () => {
    const p = f64([1]);
    p.grad = g64([10]);
    const opt = new SGD([p], { lr: 0.1, weightDecay: 0.5, momentum: 0.9, clip: clipByValue(1) });
    opt.step();
    // d = clip(10) + 0.5·1 = 1.5 (not clip(10 + 0.5) = 1)
    expect(p.data[0]).toBeCloseTo(1 - 0.1 * 1.5, 15);
    expect(p.grad.data[0]).toBe(1);
  });
  it('per-group clips: a wider range for one group than the other', () => {
    const rec = f64([0]), head = f64([0]);
    rec.grad = g64([5]);
    head.grad = g64([5]);
    const opt = new SGD([{ params: [rec], clip: clipByValue(0.1) }, { params: [head], clip: clipByValue(2), lr: 0.5 }], { lr: 1 });
    const report = opt.step();
    expect(rec.data[0]).toBeCloseTo(-0.1, 15);
    expect(head.data[0]).toBeCloseTo(-1, 15);
    expect(report.groups.map((g) => g.threshold)).toEqual([0.1, 2]);
  });
  it("the optimizer's clip is one transformation over every group: one global norm, as clip_grad_norm_(model.parameters())", () => {
    const a = f64([0]), b = f64([0]);
    a.grad = g64([4]);
    b.grad = g64([3]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 2 }], { lr: 1, clip: clipByGlobalNorm(1, { eps: 0 }) });
    const r = opt.step();
    // ‖(4, 3)‖ = 5 → every gradient scaled by 1/5, whatever its group.
    expect(a.data[0]).toBeCloseTo(-0.8, 15);
    expect(b.data[0]).toBeCloseTo(-1.2, 15);
    expect(r.clip!.scope).toBe('optimizer');
    expect(r.clip!.normBefore).toBe(5);
    expect(r.groups.map((g) => g.clip)).toEqual([null, null]);
    expect(r.groups.map((g) => g.clipped)).toEqual([true, true]);
    expect(r.normBefore).toBe(5);
    expect(r.normAfter).toBeCloseTo(1, 15);
  });
  it("a group's own clip applies to that group only and runs before the optimizer's clip", () => {
    const a = f64([0]), b = f64([0]);
    a.grad = g64([4]);
    b.grad = g64([3]);
    const opt = new SGD([{ params: [a], clip: clipByValue(0) }, { params: [b] }], { lr: 1, clip: clipByGlobalNorm(1, { eps: 0 }) });
    const r = opt.step();
    // The group clip zeroes a's gradient first, so the global norm is ‖(0, 3)‖ = 3.
    expect(a.data[0]).toBe(0);
    expect(b.data[0]).toBeCloseTo(-1, 15);
    expect(r.groups[0]!.clip!.scope).toBe('group');
    expect(r.clip!.normBefore).toBe(3);
    expect(r.groups[0]!.normBefore).toBe(4);
    expect(r.groups[0]!.normAfter).toBe(0);
  });
  it('a clip that throws leaves parameters, gradients of other clips and optimizer state unchanged', () => {
    const a = new Tensor(Float64Array.from([1]), [1], true);
    const b = new Tensor(Float32Array.from([1]), [1], true);
    a.grad = g64([4]);
    b.grad = new Tensor(Float32Array.from([3]), [1]);
    // One global norm over a float64 and a float32 gradient is refused (mixed dtypes).
    const opt = new Adam([{ params: [a] }, { params: [b] }], { lr: 1, clip: clipByGlobalNorm(1) });
    expect(() => opt.step()).toThrow(/mixed gradient dtypes/);
    expect(a.data[0]).toBe(1);
    expect(b.data[0]).toBe(1);
    expect(opt.state.size).toBe(0);
    expect(opt.stepCount).toBe(0);
  });
});

describe('step reports', () => {
  it('report per group and per named parameter: norm before/after, scale, clipped, threshold', () => {
    const w = f64([0, 0]), b = f64([0]);
    w.grad = g64([3, 4]);
    b.grad = g64([0]);
    const opt = new Adam([['rnn.weight', w], ['head.bias', b]] as [string, Tensor][], { lr: 0.01, clip: clipByGlobalNorm(1, { eps: 0 }) });
    const r = opt.step();
    expect(r.step).toBe(1);
    expect(r.skipped).toBe(false);
    const g = r.groups[0]!;
    expect(g.normBefore).toBe(5);
    expect(g.normAfter).toBeCloseTo(1, 12);
    expect(g.clipped).toBe(true);
    expect(g.threshold).toBe(1);
    expect(g.params.map((p) => p.name)).toEqual(['rnn.weight', 'head.bias']);
    expect(g.params[0]!.scale).toBeCloseTo(0.2, 12);
  });
  it('without a clip the report still carries the gradient norms', () => {
    const p = f64([0, 0]);
    p.grad = g64([6, 8]);
    const r = new SGD([p], { lr: 0.1 }).step();
    expect(r.groups[0]!.clip).toBeNull();
    expect(r.groups[0]!.normBefore).toBe(10);
    expect(r.groups[0]!.clipped).toBe(false);
  });
});

describe('non-finite gradients', () => {
  const optimizers = [(ps: Tensor[]) => new Adam(ps, { lr: 0.1, nonFinite: 'skip', clip: zClip({ warmup: 2 }) }), (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nonFinite: 'skip', clip: autoClip() }), (ps: Tensor[]) => new RMSprop(ps, { nonFinite: 'skip', centered: true })];
  it("'skip': parameters and optimizer state are bit-identical after a step with NaN gradients", () => {
    fc.assert(
      fc.property(gradListArb, fc.nat(2), fc.nat(100), (grads, which, pos) => {
        for (const make of optimizers) {
          const params = withGrads(grads);
          const opt = make(params);
          opt.step();
          opt.step();
          const before = JSON.stringify(opt.stateDict());
          const data = params.map((p) => Array.from(p.data));
          const bad = params[which % params.length]!;
          bad.grad!.data[pos % bad.size] = NaN;
          const r = opt.step();
          expect(r.skipped).toBe(true);
          expect(params.map((p) => Array.from(p.data))).toEqual(data);
          const after = opt.stateDict();
          after.consecutiveSkips = 0;
          expect(JSON.stringify(after)).toBe(before);
        }
      }),
      { numRuns: 30 },
    );
  });
  it("'skip' counts consecutive skips and raises after the limit", () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1, nonFinite: 'skip', maxConsecutiveSkips: 2 });
    p.grad = g64([Infinity]);
    expect(opt.step().consecutiveSkips).toBe(1);
    expect(opt.step().consecutiveSkips).toBe(2);
    expect(() => opt.step()).toThrow(/3 consecutive steps skipped/);
    p.grad = g64([1]);
    expect(opt.step().consecutiveSkips).toBe(0);
  });
  it("'error' raises naming the parameter and leaves everything unchanged; 'zero' zeroes the bad entries", () => {
    const p = f64([1, 1]);
    p.grad = g64([NaN, 1]);
    expect(() => new SGD([['w', p]] as [string, Tensor][], { lr: 1, nonFinite: 'error' }).step()).toThrow(/non-finite gradient in w \(1 of 2\)/);
    expect(Array.from(p.data)).toEqual([1, 1]);
    const r = new SGD([p], { lr: 1, nonFinite: 'zero' }).step();
    expect(r.nonFiniteEntries).toBe(1);
    expect(Array.from(p.data)).toEqual([1, 0]);
  });
});

describe('state dicts, hooks and zeroGrad', () => {
  it('resuming from a saved state gives a bit-identical trajectory (float32)', () => {
    const makeGrad = (k: number) => tensor([Math.sin(k), Math.cos(3 * k), 0.1 * k]);
    const run = (resumeAt: number | null) => {
      let p = tensor([0.5, -0.5, 1], { requiresGrad: true });
      let opt = new Adam([p], { lr: 0.05, amsgrad: true, clip: zClip({ warmup: 3 }) });
      for (let k = 0; k < 10; k++) {
        if (k === resumeAt) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          p = tensor(Array.from(p.data), { requiresGrad: true });
          opt = new Adam([p], { lr: 0.05, amsgrad: true, clip: zClip({ warmup: 3 }) });
          opt.loadStateDict(saved);
        }
        p.grad = makeGrad(k);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(5)).toEqual(run(null));
  });
  it('loadStateDict rejects a mismatched dict and leaves the optimizer unchanged', () => {
    const p = f64([1, 2]);
    p.grad = g64([1, 1]);
    const opt = new Adam([p]);
    opt.step();
    const good = opt.stateDict();
    const bad = JSON.parse(JSON.stringify(good));
    bad.state['0'].expAvg.data = [1, 2, 3];
    expect(() => opt.loadStateDict(bad)).toThrow(/has 3 values, the parameter has 2/);
    expect(JSON.stringify(opt.stateDict())).toBe(JSON.stringify(good));
  });
  it('step hooks run before and after; remove() detaches them', () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1 });
    const calls: string[] = [];
    const pre = opt.registerStepPreHook(() => calls.push('pre'));
    const post = opt.registerStepPostHook((_o, r) => calls.push(`post${r.step}`));
    p.grad = g64([1]);
    opt.step();
    pre.remove();
    post.remove();
    opt.step();
    expect(calls).toEqual(['pre', 'post1']);
  });
  it('zeroGrad sets gradients to null by default, or zeroes them in place', () => {
    const p = f64([1]);
    p.grad = g64([3]);
    const opt = new SGD([p], { lr: 0.1 });
    opt.zeroGrad({ setToNone: false });
    expect(p.grad!.data[0]).toBe(0);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
  it('hyper-parameters are validated like PyTorch', () => {
    expect(() => new SGD([f64([1])], { lr: -1 })).toThrow('SGD: lr must be a finite number ≥ 0, got -1');
    expect(() => new Adam([f64([1])], { betas: [1, 0.9] })).toThrow(/betas\[0\] must be a finite number ≥ 0 and < 1, got 1/);
    expect(() => new SGD([f64([1])], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
  });
});

describe('adaptive clips', () => {
  it('autoClip clips to the percentile of the norm history', () => {
    const p = f64([0]);
    const opt = new SGD([p], { lr: 0, clip: autoClip({ percentile: 50 }) });
    const norms: number[] = [];
    for (const v of [1, 2, 3, 100]) {
      p.grad = g64([v]);
      norms.push(opt.step().groups[0]!.normAfter);
    }
    // histories [1], [1,2], [1,2,3], [1,2,3,100]: medians 1, 1.5, 2, 2.5
    expect(norms).toEqual([1, 1.5, 2, 2.5]);
  });
  it('zClip leaves warm-up steps alone, then clips a spike to μ + z²σ/z', () => {
    const p = f64([0]);
    const opt = new SGD([p], { lr: 0, clip: zClip({ warmup: 4, alpha: 0.9, zThreshold: 2 }) });
    for (const v of [1, 1.2, 0.8, 1]) {
      p.grad = g64([v]);
      expect(opt.step().groups[0]!.clipped).toBe(false);
    }
    p.grad = g64([50]);
    const r = opt.step().groups[0]!;
    const mu = 1, sigma = Math.sqrt((0 + 0.04 + 0.04 + 0) / 4);
    const z = (50 - mu) / (sigma + 1e-6);
    expect(r.clipped).toBe(true);
    expect(r.normAfter).toBeCloseTo(mu + (4 * sigma) / z, 9);
  });
});

describe('optimizers', () => {
  it('AdamW decays the weight before the Adam update; Adagrad and RMSprop move against the gradient', () => {
    for (const make of [(p: Tensor) => new AdamW([p], { lr: 0.1 }), (p: Tensor) => new Adagrad([p], { lr: 0.1 }), (p: Tensor) => new RMSprop([p], { lr: 0.1, momentum: 0.5 })]) {
      const p = f64([1, -1]);
      p.grad = g64([1, -1]);
      make(p).step();
      expect(p.data[0]).toBeLessThan(1);
      expect(p.data[1]).toBeGreaterThan(-1);
    }
  });
  it('maximize ascends', () => {
    const p = f64([0]);
    p.grad = g64([1]);
    new SGD([p], { lr: 0.5, maximize: true }).step();
    expect(p.data[0]).toBe(0.5);
  });
  it('a parameter in two groups is rejected', () => {
    const p = f64([1]);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 1 })).toThrow(/parameter 1 is already in parameter group 0/);
  });
});

describe('GradientMonitor', () => {
  it('collects reports and exports JSONL, CSV and a summary', () => {
    const p = f64([0]);
    const opt = new SGD([p], { lr: 0.1, clip: clipByGlobalNorm(1, { eps: 0 }), nonFinite: 'skip' });
    const mon = new GradientMonitor().attach(opt);
    for (const v of [0.5, 2, NaN, 4]) {
      p.grad = g64([v]);
      opt.step();
    }
    const s = mon.summary();
    expect(s.steps).toBe(3);
    expect(s.skipped).toBe(1);
    expect(s.fractionClipped).toBeCloseTo(2 / 3, 12);
    expect(s.normBefore.max).toBe(4);
    expect(mon.toJSONL().trim().split('\n')).toHaveLength(4);
    const csv = mon.toCSV().trim().split('\n');
    expect(csv[0]).toBe('step,group,lr,normBefore,normAfter,clipped,skipped,threshold,loss');
    expect(csv[2]).toBe('2,0,0.1,2,1,1,0,1,');
  });
});

describe('gradient accumulation', () => {
  it('clips once on the accumulated gradient: clip(g1 + g2), which differs from clip(clip(g1) + g2)', () => {
    const g1 = [3, 0], g2 = [0, 4];
    const clip = (v: number[], m: number) => {
      const n = Math.hypot(...v);
      return n > m ? v.map((x) => (x * m) / n) : v;
    };
    const wrong = clip(clip(g1, 1).map((x, i) => x + g2[i]!), 1);
    const right = clip(g1.map((x, i) => x + g2[i]!), 1);
    expect(wrong[0]).not.toBeCloseTo(right[0]!, 6);

    const p = f64([0, 0]);
    const opt = new SGD([p], { lr: 1, clip: clipByGlobalNorm(1, { eps: 0 }) });
    const acc = new GradientAccumulator(opt, { steps: 2 });
    for (const g of [g1, g2]) {
      const loss = p.mul(g64(g)).sum(); // d(loss)/dp = g
      loss.backward();
      acc.step();
    }
    expect(Array.from(p.data).map((v) => -v)).toEqual(right.map((v) => expect.closeTo(v, 12) as unknown as number));
    expect(p.grad).toBeNull();
  });
});

describe('learning-rate schedules', () => {
  const opt = () => new SGD([f64([0])], { lr: 1 });
  const lrs = (s: { step(): void; getLastLr(): number[] }, n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? s.getLastLr()[0]! : (s.step(), s.getLastLr()[0]!)));
  it('StepLR, ExponentialLR and CosineAnnealingLR follow PyTorch closed forms', () => {
    expect(lrs(new StepLR(opt(), { stepSize: 2, gamma: 0.5 }), 5)).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(lrs(new ExponentialLR(opt(), { gamma: 0.5 }), 3)).toEqual([1, 0.5, 0.25]);
    const cos = lrs(new CosineAnnealingLR(opt(), { tMax: 4, etaMin: 0 }), 5);
    expect(cos.map((v) => +v.toFixed(12))).toEqual([1, 0.853553390593, 0.5, 0.146446609407, 0]);
  });
  it('LinearWarmup ramps up, then hands over to another schedule', () => {
    const s = new LinearWarmup(opt(), { warmupSteps: 4, startFactor: 0, after: (o) => new StepLR(o, { stepSize: 1, gamma: 0.5 }) });
    expect(lrs(s, 7)).toEqual([0, 0.25, 0.5, 0.75, 1, 0.5, 0.25]);
  });
  it('ReduceLROnPlateau cuts the lr after `patience` epochs without improvement', () => {
    const o = opt();
    const s = new ReduceLROnPlateau(o, { patience: 1, factor: 0.5 });
    for (const m of [1, 0.9, 0.95, 0.95, 0.95]) s.step(m);
    expect(s.getLastLr()).toEqual([0.5]);
  });
});
