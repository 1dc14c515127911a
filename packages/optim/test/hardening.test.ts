/** Regression tests for the optimizer and clipping defects found by the audit; each is named after what it guarantees. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NonFiniteError, OptionError, Tensor, ValueError, tensor } from '@tapegrad/autograd';
import { Adam, AdamW, Adagrad, ExponentialLR, GradientMonitor, RMSprop, SGD, StepLR, autoClip, clipByGlobalNorm, clipByValue, clipGradNorm_, clipGradsWithNorm_, percentile, zClip } from '../src/index.js';
import type { OptimizerStateDict } from '../src/index.js';

const param = (v: number[], g?: number[]) => {
  const p = tensor(v, { dtype: 'float64', requiresGrad: true });
  if (g) p.grad = tensor(g, { dtype: 'float64' });
  return p;
};

describe('unknown option keys are errors with the right spelling', () => {
  it('Keras and PyTorch spellings get a hint; the message lists the known options', () => {
    const p = [param([1])];
    expect(() => new SGD(p, { clipnorm: 1 } as never)).toThrow(OptionError);
    expect(() => new SGD(p, { clipnorm: 1 } as never)).toThrow(/SGD: unknown option 'clipnorm' \(Keras's per-variable clipnorm is `clip: clipByNorm\(v\)`\); known options: lr, momentum/);
    expect(() => new Adam(p, { global_clipnorm: 1 } as never)).toThrow(/clipByGlobalNorm/);
    expect(() => new Adam(p, { max_norm: 1 } as never)).toThrow(/clip: clipByGlobalNorm\(maxNorm\)/);
    expect(() => new Adam(p, { clipvalue: 1 } as never)).toThrow(/clip: clipByValue\(v\)/);
    expect(() => new AdamW(p, { weight_decay: 0.1 } as never)).toThrow(/did you mean `weightDecay` .* or `decoupledWeightDecay`/);
    expect(() => new SGD([{ params: p, momentun: 0.9 } as never])).toThrow(/unknown option 'momentun'/);
    expect(() => clipByGlobalNorm(1, { norm_type: 1 } as never)).toThrow(/did you mean `normType`\?/);
    expect(() => zClip({ z: 2 } as never)).toThrow(/unknown option 'z'; known options: alpha, zThreshold, warmup, eps/);
  });
});

describe('null, undefined, NaN and out-of-range hyper-parameters are errors everywhere', () => {
  const p = () => [param([1], [1])];
  it('optimizers', () => {
    expect(() => new SGD(p(), { lr: null } as never)).toThrow('SGD: lr must be a finite number ≥ 0, got null');
    expect(() => new Adam(p(), { lr: NaN })).toThrow(/lr must be a finite number ≥ 0, got NaN/);
    expect(() => new Adam(p(), { betas: [0.9] as never })).toThrow(/betas must be a pair/);
    expect(() => new RMSprop(p(), { alpha: '0.9' as never })).toThrow(/alpha must be a finite number ≥ 0, got '0.9'/);
    expect(() => new Adagrad(p(), { maximize: 1 as never })).toThrow(/maximize must be true or false/);
    expect(() => new SGD(p(), { nonFinite: 'ignore' as never })).toThrow(/nonFinite must be one of/);
    expect(() => new SGD(p(), { clip: 1 as never })).toThrow(/clip must be a gradient transformation/);
    // A scheduler or a user writing NaN into a group is caught at the next step, before anything changes.
    const q = p();
    const opt = new SGD(q, { lr: 0.1 });
    opt.paramGroups[0]!.hyper.lr = NaN;
    expect(() => opt.step()).toThrow(/lr must be a finite number/);
    expect(Array.from(q[0]!.data)).toEqual([1]);
  });
  it('clip transforms: clipByValue(null) no longer zeroes every gradient', () => {
    expect(() => clipByValue(null as never)).toThrow('clipByValue: the bound must be a finite number ≥ 0, got null');
    expect(() => clipByValue(undefined as never)).toThrow(ValueError);
    expect(() => clipByValue(-1)).toThrow(/≥ 0/);
    expect(() => clipByGlobalNorm(NaN)).toThrow(/maxNorm must be a finite number ≥ 0, got NaN/);
    expect(() => zClip({ alpha: null as never })).toThrow(/alpha must be a finite number/);
    expect(() => autoClip({ percentile: 101 })).toThrow(/percentile must be a finite number ≥ 0 and ≤ 100/);
  });
  it('schedulers: ExponentialLR(opt, {}) no longer yields NaN', () => {
    const opt = new SGD(p(), { lr: 0.1 });
    expect(() => new ExponentialLR(opt, {} as never)).toThrow('ExponentialLR: gamma must be a finite number ≥ 0, got undefined');
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/stepSize must be an integer ≥ 1/);
    expect(() => new StepLR(opt, { stepSize: 2, gama: 0.5 } as never)).toThrow(/unknown option 'gama'/);
    expect(opt.paramGroups[0]!.hyper.lr).toBe(0.1);
  });
  it('constructor errors name the optimizer class, not "undefined"', () => {
    for (const [C, name] of [[SGD, 'SGD'], [Adam, 'Adam'], [AdamW, 'AdamW'], [RMSprop, 'RMSprop'], [Adagrad, 'Adagrad']] as const) {
      expect(() => new (C as typeof SGD)([param([1])], { lr: -1 })).toThrow(new RegExp(`^${name}: lr`));
      expect(() => new (C as typeof SGD)([3 as never])).toThrow(new RegExp(`^${name}: parameter 0 must be a Tensor`));
    }
  });
});

describe('each parameter is optimized once', () => {
  it('a parameter given twice, in one group or in two, is an error naming it', () => {
    const w = param([1]);
    expect(() => new SGD([['head.weight', w], ['again', w]] as [string, Tensor][])).toThrow(/parameter again appears twice in the same group \(also as head\.weight\)/);
    expect(() => new SGD([{ params: [['a', w]] }, { params: [['b', w]] }] as never)).toThrow(/parameter b is already in parameter group 0 \(as a\)/);
  });
});

describe('state dicts', () => {
  it('NaN and ±Infinity survive stateDict → JSON → loadStateDict exactly', () => {
    const p = param([1, 2], [NaN, 1e308]);
    const opt = new Adam([p], { lr: 0.1, amsgrad: true });
    opt.step();
    p.grad = tensor([1, 1e308], { dtype: 'float64' });
    opt.step();
    const text = JSON.stringify(opt.stateDict());
    const fresh = new Adam([param([1, 2])], { lr: 0.1, amsgrad: true });
    fresh.loadStateDict(JSON.parse(text) as OptimizerStateDict);
    const a = opt.state.get(p)!, b = fresh.state.get(fresh.paramGroups[0]!.params[0]!)!;
    for (const k of ['expAvg', 'expAvgSq', 'maxExpAvgSq']) expect(Array.from(b[k] as Float64Array)).toEqual(Array.from(a[k] as Float64Array));
    expect(Number.isNaN((b.expAvg as Float64Array)[0])).toBe(true);
    expect((b.expAvgSq as Float64Array)[1]).toBe(Infinity);
  });
  it('every field is validated before anything changes: kind-specific buffers, lengths, counters, hyper-parameters, keys', () => {
    const p = param([1, 2], [0.5, -1]);
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    const good = opt.stateDict();
    const before = JSON.stringify(good);
    const edit = (f: (sd: Record<string, any>) => void) => {
      const sd = JSON.parse(before);
      f(sd);
      return sd as OptimizerStateDict;
    };
    const cases: [OptimizerStateDict, RegExp][] = [
      [edit((sd) => delete sd.state['0'].expAvgSq), /lacks the buffer 'expAvgSq'/],
      [edit((sd) => (sd.state['0'].expAvg.data = [1])), /expAvg has 1 values, the parameter has 2/],
      [edit((sd) => (sd.state['0'].expAvg.dtype = 'float32')), /expAvg is 'float32', the parameter is float64/],
      [edit((sd) => (sd.state['0'].step = -1)), /step must be an integer ≥ 0/],
      [edit((sd) => (sd.state['0'].step = 1.5)), /step must be an integer/],
      [edit((sd) => (sd.state['0'].momentumBuffer = { dtype: 'float64', data: [0, 0] })), /unknown option 'momentumBuffer'/],
      [edit((sd) => (sd.state['0'].expAvg.data[0] = 'x')), /expAvg\[0\] must be a number/],
      [edit((sd) => (sd.paramGroups[0].lr = null)), /lr must be a finite number ≥ 0, got null/],
      [edit((sd) => (sd.paramGroups[0].betas = [0.9, 1])), /betas\[1\]/],
      [edit((sd) => (sd.stepCount = -3)), /stepCount must be an integer ≥ 0/],
      [edit((sd) => (sd.state['7'] = {})), /state for parameter '7'/],
      [edit((sd) => Object.defineProperty(sd, '__proto__', { value: {}, enumerable: true })), /unknown option '__proto__'/],
      [edit((sd) => (sd.paramGroups[0].amsgrad = true)), /lacks the buffer 'maxExpAvgSq'/],
    ];
    for (const [sd, message] of cases) {
      expect(() => opt.loadStateDict(sd)).toThrow(message);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
    }
  });
  it('property: a random edit of a state dict is applied whole or refused whole', () => {
    const p = param([1, 2], [0.5, -1]);
    const opt = new RMSprop([p], { lr: 0.1, momentum: 0.9, centered: true });
    opt.step();
    const base = JSON.stringify(opt.stateDict());
    fc.assert(
      fc.property(fc.constantFrom('squareAvg', 'momentumBuffer', 'gradAvg', 'step'), fc.oneof(fc.constant(null), fc.double(), fc.constant('NaN'), fc.array(fc.double(), { maxLength: 3 })), (key, value) => {
        const sd = JSON.parse(base);
        const entry = sd.state['0'];
        if (key === 'step') entry.step = value;
        else entry[key] = Array.isArray(value) ? { dtype: 'float64', data: value } : value;
        const before = JSON.stringify(opt.stateDict());
        try {
          opt.loadStateDict(sd);
          expect(JSON.stringify(opt.stateDict())).toBe(JSON.stringify(sd));
        } catch (e) {
          expect(e).toBeInstanceOf(ValueError);
          expect(JSON.stringify(opt.stateDict())).toBe(before);
        }
      }),
    );
  });
});

describe('small fixes', () => {
  it('clipGradNorm_ with errorIfNonfinite names the parameter whose gradient is not finite, and changes nothing', () => {
    const a = param([1, 2], [1, 2]), b = param([1], [Infinity]);
    expect(() => clipGradNorm_([a, b], 1, { errorIfNonfinite: true })).toThrow(NonFiniteError);
    expect(() => clipGradNorm_([a, b], 1, { errorIfNonfinite: true })).toThrow(/from parameter 1 \(shape \[1\]\)/);
    expect(Array.from(a.grad!.data)).toEqual([1, 2]);
  });
  it('clipGradsWithNorm_ scales by min(1, maxNorm / (totalNorm + 1e-6)) with a norm the caller measured (PyTorch 2.6)', () => {
    const a = param([0, 0], [3, 4]);
    clipGradsWithNorm_([a], 1, 5);
    expect(a.grad!.data[0]).toBeCloseTo(3 / (5 + 1e-6), 12);
    expect(a.grad!.data[1]).toBeCloseTo(4 / (5 + 1e-6), 12);
    const b = param([0], [3]);
    clipGradsWithNorm_([b], 10, 5);
    expect(b.grad!.data[0]).toBe(3);
    expect(() => clipGradsWithNorm_([b], 1, NaN)).toThrow(/totalNorm/);
  });
  it('AutoClip keeps its exact percentile rule with an incrementally sorted history (bounded or not)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 100 }), fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 10 })), (norms, pct, history) => {
        const rule = autoClip({ percentile: pct, ...(history ? { history } : {}) });
        let state = rule.init([]);
        const seen: number[] = [];
        for (const n of norms) {
          const g = tensor([n], { dtype: 'float64' });
          const r = rule.update([g], state, [g]);
          state = r.state;
          seen.push(n);
          const window = history ? seen.slice(-history) : seen;
          expect(r.report.threshold).toBeCloseTo(percentile(window, pct), 12);
          expect(state.history.slice(state.count - window.length, state.count)).toEqual(window);
        }
      }),
    );
  });
  it('AutoClip states are values: updating an older state again never changes a newer one', () => {
    const rule = autoClip({ percentile: 50 });
    const g = (v: number) => tensor([v], { dtype: 'float64' });
    let s0 = rule.init([]);
    for (const v of [1, 2, 3]) s0 = rule.update([g(v)], s0, []).state;
    const s1 = rule.update([g(10)], s0, []).state;
    const branch = rule.update([g(7)], s0, []).state; // a discarded or shadow update from the same state
    expect(s1.history.slice(0, s1.count)).toEqual([1, 2, 3, 10]);
    expect(branch.history.slice(0, branch.count)).toEqual([1, 2, 3, 7]);
    expect(rule.update([g(1)], s1, []).report.threshold).toBe(2); // median of [1, 2, 3, 10, 1]: the branch's 7 is not in s1
    expect(s0.count).toBe(3);
  });
  it('GradientMonitor({ maxReports }) keeps a bounded window while its summary counts the whole run', () => {
    const p = param([0], [1]);
    const opt = new SGD([p], { lr: 0.1, clip: clipByGlobalNorm(0.5) });
    const monitor = new GradientMonitor({ maxReports: 5 }).attach(opt);
    for (let i = 0; i < 100; i++) {
      p.grad = tensor([i === 3 ? 50 : 1], { dtype: 'float64' });
      opt.step();
    }
    expect(monitor.reports.length).toBe(5);
    expect(monitor.reports[0]!.step).toBe(96);
    expect(monitor.rows().length).toBe(5);
    const s = monitor.summary();
    expect(s.steps).toBe(100);
    expect(s.fractionClipped).toBe(1);
    expect(s.normBefore.max).toBe(50);
    expect(() => new GradientMonitor({ maxReports: 0 })).toThrow(/maxReports must be an integer ≥ 1/);
  });
});
