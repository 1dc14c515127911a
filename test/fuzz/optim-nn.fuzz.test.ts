/**
 * Fuzz test of @tapegrad/optim and @tapegrad/nn: constructors, options,
 * step(), clip transformations, schedulers, state dicts and layers, called
 * with good and bad arguments. Invariants: a result or a TapegradError (never
 * a raw JS error or a hang), and a failed call leaves the tensors, the module
 * or the optimizer (parameters, gradients, state, step count) unchanged.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import * as nn from '@tapegrad/nn';
import * as optim from '@tapegrad/optim';
import type { Outcomes } from './harness.js';
import { FUZZ_SCALE, anyArg, badValue, callChecked, mergeOutcomes, smallTensor } from './harness.js';
import { record } from './outcomes.js';

const outcomes: Outcomes = new Map();
const RUNS = 200 * FUZZ_SCALE;

const OPTIMIZERS = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop, Adagrad: optim.Adagrad } as const;
const HYPER_KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize', 'betas', 'eps', 'amsgrad', 'alpha', 'centered', 'lrDecay', 'initialAccumulatorValue', 'clip', 'nonFinite', 'maxConsecutiveSkips', 'trackNorms', 'clipnorm', 'weight_decay', 'global_clipnorm', 'epsilonPlacement', 'decoupledWeightDecay', 'shadow', 'rho'];

/** Values a hyper-parameter might be given. */
const hyperValue = fc.oneof(badValue, fc.double({ min: -2, max: 2 }), fc.boolean(), fc.tuple(fc.double({ min: -0.5, max: 1.5 }), fc.double({ min: -0.5, max: 1.5 })), fc.constantFrom('error', 'skip', 'zero', 'propagate'), fc.constant(optim.clipByGlobalNorm(1)));
/** An options object with a few keys, known or not. */
const optionsArb = fc.oneof(fc.dictionary(fc.constantFrom(...HYPER_KEYS), hyperValue, { maxKeys: 3 }), badValue);

/** Float64 parameters with gradients of the same shape (sometimes missing, NaN, or of the wrong size). */
const paramsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom('ok', 'none', 'nan', 'wrong')), { minLength: 1, maxLength: 3 }).map((specs) =>
  specs.map(([n, g], i) => {
    const p = T.tensor(Array.from({ length: n }, (_, k) => Math.sin(i + k)), { dtype: 'float64', requiresGrad: true });
    if (g !== 'none') p.grad = T.tensor(Array.from({ length: g === 'wrong' ? n + 1 : n }, (_, k) => (g === 'nan' && k === 0 ? NaN : Math.cos(i * 3 + k))), { dtype: 'float64' });
    return p;
  }),
);

interface OptSnapshot {
  params: number[][];
  grads: (number[] | null)[];
  state: string;
  steps: number;
}
const snap = (opt: optim.Optimizer<{ lr: number }>, params: T.Tensor[]): OptSnapshot => ({
  params: params.map((p) => Array.from(p.data)),
  grads: params.map((p) => (p.grad ? Array.from(p.grad.data) : null)),
  state: JSON.stringify(opt.stateDict()),
  steps: opt.stepCount,
});

describe('fuzz: optimizers', () => {
  afterAll(() => record('optim+nn', outcomes));
  for (const [name, Ctor] of Object.entries(OPTIMIZERS)) {
    it(`${name}: constructor options, step() and loadStateDict are a result or a TapegradError, state unchanged on failure`, () => {
      const local: Outcomes = new Map();
      fc.assert(
        fc.property(paramsArb, optionsArb, fc.array(fc.tuple(fc.constantFrom(...HYPER_KEYS), hyperValue), { maxLength: 2 }), (params, options, edits) => {
          let opt: optim.Optimizer<{ lr: number }> | null = null;
          callChecked(`new ${name}`, (p, o) => (opt = new (Ctor as unknown as new (p: unknown, o: unknown) => optim.Optimizer<{ lr: number }>)(p, o)), [params, options], local);
          if (!opt) return;
          const o = opt as optim.Optimizer<{ lr: number }>;
          // step() with whatever gradients the parameters have.
          let before = snap(o, params);
          const kind = callChecked(`${name}.step`, () => o.step(), [], local);
          if (kind !== 'ok') expect(snap(o, params)).toEqual(before);
          // A state dict edited at random: applied whole, or refused whole.
          const sd = o.stateDict() as Record<string, unknown>;
          const edited = JSON.parse(JSON.stringify(sd)) as Record<string, unknown> & { paramGroups: Record<string, unknown>[] };
          for (const [k, v] of edits) {
            if (edited.paramGroups[0]) edited.paramGroups[0][k] = v as never;
            else edited[k] = v;
          }
          before = snap(o, params);
          const loaded = callChecked(`${name}.loadStateDict`, (s) => o.loadStateDict(s as optim.OptimizerStateDict), [edited], local);
          if (loaded !== 'ok') expect(snap(o, params)).toEqual(before);
          // A scheduler writing an lr, then another step.
          callChecked('ExponentialLR', (g) => new optim.ExponentialLR(o, { gamma: g as number }), [edits[0]?.[1] ?? 0.9], local);
        }),
        { numRuns: RUNS },
      );
      mergeOutcomes(outcomes, local);
    });
  }
  it('loadStateDict: buffers of the wrong length, dtype or kind, NaN counters and unknown keys are refused whole', () => {
    const local: Outcomes = new Map();
    fc.assert(
      fc.property(fc.constantFrom('expAvg', 'expAvgSq', 'step', 'zz'), fc.oneof(anyArg, fc.record({ dtype: fc.constantFrom('float32', 'float64', 'x'), data: fc.array(fc.oneof(fc.double(), badValue), { maxLength: 4 }) })), (key, value) => {
        const p = T.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
        p.grad = T.tensor([0.5, -1], { dtype: 'float64' });
        const opt = new optim.Adam([p], { lr: 0.1 });
        opt.step();
        const sd = opt.stateDict();
        (sd.state['0'] as Record<string, unknown>)[key] = value as never;
        const before = snap(opt as never, [p]);
        const kind = callChecked('Adam.loadStateDict', (s) => opt.loadStateDict(s as optim.OptimizerStateDict), [sd], local);
        if (kind !== 'ok') expect(snap(opt as never, [p])).toEqual(before);
      }),
      { numRuns: 400 * FUZZ_SCALE },
    );
    mergeOutcomes(outcomes, local);
  });
});

/** Clip transformations: factory arguments, then update() on random gradients. */
const CLIPS: [string, (...a: unknown[]) => optim.GradientTransformation][] = [
  ['clipByValue', optim.clipByValue as never],
  ['clipByNorm', optim.clipByNorm as never],
  ['clipByGlobalNorm', optim.clipByGlobalNorm as never],
  ['adaptiveGradClip', optim.adaptiveGradClip as never],
  ['autoClip', optim.autoClip as never],
  ['zClip', optim.zClip as never],
  ['normalizeGradient', optim.normalizeGradient as never],
];

describe('fuzz: clip transformations and free functions', () => {
  for (const [name, make] of CLIPS) {
    it(`${name}: factory and update are a result or a TapegradError`, () => {
      const local: Outcomes = new Map();
      fc.assert(
        fc.property(fc.array(fc.oneof(anyArg, fc.double({ min: 0, max: 3 }), optionsArb), { maxLength: 2 }), paramsArb, (args, params) => {
          let t: optim.GradientTransformation | null = null;
          callChecked(name, (...a) => (t = make(...a)), args, local);
          if (!t) return;
          const rule = t as optim.GradientTransformation;
          callChecked(`${name}.update`, () => optim.applyTransform(rule, params), [...params], local);
        }),
        { numRuns: RUNS },
      );
      mergeOutcomes(outcomes, local);
    });
  }
  const FREE: [string, (...a: unknown[]) => unknown, number][] = [
    ['clipGradNorm_', optim.clipGradNorm_ as never, 3],
    ['clipGradValue_', optim.clipGradValue_ as never, 2],
    ['clipGradsWithNorm_', optim.clipGradsWithNorm_ as never, 3],
    ['getTotalNorm', optim.getTotalNorm as never, 3],
    ['chain', optim.chain as never, 2],
    ['GradientAccumulator', (o, a) => new optim.GradientAccumulator(o as never, a as never), 2],
    ['GradientMonitor', (o) => new optim.GradientMonitor(o as never), 1],
    ['StepLR', (o, a) => new optim.StepLR(o as never, a as never), 2],
    ['CosineAnnealingLR', (o, a) => new optim.CosineAnnealingLR(o as never, a as never), 2],
    ['ReduceLROnPlateau', (o, a) => new optim.ReduceLROnPlateau(o as never, a as never), 2],
    ['passThroughReport', optim.passThroughReport as never, 3],
    ['TensorDataset', (a, b) => new nn.TensorDataset(a as never, b as never), 2],
    ['DataLoader', (d, o) => [...new nn.DataLoader(d as never, o as never)], 2],
    ['defaultCollate', nn.defaultCollate as never, 2],
    ['accuracy', nn.accuracy as never, 3],
    ['confusionMatrix', nn.confusionMatrix as never, 3],
    ['RunningMean.add', (v, w) => new nn.RunningMean().add(v as never, w as never), 2],
    ['summary', nn.summary as never, 2],
  ];
  for (const [name, fn, arity] of FREE) {
    it(`${name}: a result or a TapegradError`, () => {
      const local: Outcomes = new Map();
      fc.assert(
        fc.property(fc.array(fc.oneof(anyArg, optionsArb, paramsArb, fc.double({ min: 0, max: 3 })), { maxLength: arity }), (args) => {
          callChecked(name, fn, args, local);
        }),
        { numRuns: RUNS },
      );
      mergeOutcomes(outcomes, local);
    });
  }
});

describe('fuzz: nn layers and modules', () => {
  const LAYERS: [string, (...a: unknown[]) => nn.Module & { forward(...a: unknown[]): unknown }][] = [
    ['Linear', (a, b, o) => new nn.Linear(a as number, b as number, o as never) as never],
    ['Embedding', (a, b, o) => new nn.Embedding(a as number, b as number, o as never) as never],
    ['Dropout', (p, o) => new nn.Dropout(p as number, o as never) as never],
    ['LayerNorm', (s, o) => new nn.LayerNorm(s as number, o as never) as never],
    ['RNN', (a, b, o) => new nn.RNN(a as number, b as number, o as never) as never],
    ['LSTM', (a, b, o) => new nn.LSTM(a as number, b as number, o as never) as never],
    ['GRU', (a, b, o) => new nn.GRU(a as number, b as number, o as never) as never],
    ['LSTMCell', (a, b, o) => new nn.LSTMCell(a as number, b as number, o as never) as never],
  ];
  const layerOptions = fc.oneof(badValue, fc.dictionary(fc.constantFrom('bias', 'dtype', 'generator', 'numLayers', 'bidirectional', 'batchFirst', 'dropout', 'nonlinearity', 'eps', 'batch_first', 'fused'), fc.oneof(badValue, fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.constantFrom('float64', 'relu')), { maxKeys: 3 }));
  for (const [name, make] of LAYERS) {
    it(`${name}: constructor and forward are a result or a TapegradError, parameters unchanged on failure`, () => {
      const local: Outcomes = new Map();
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 1, max: 3 }), badValue), fc.oneof(fc.integer({ min: 1, max: 3 }), badValue), layerOptions, fc.array(fc.oneof(smallTensor, anyArg), { maxLength: 2 }), (a, b, o, inputs) => {
          let layer: (nn.Module & { forward(...a: unknown[]): unknown }) | null = null;
          callChecked(name, (...args) => (layer = make(...args)), [a, b, o], local);
          if (!layer) return;
          const l = layer as nn.Module & { forward(...a: unknown[]): unknown };
          const before = l.parameters().map((p) => Array.from(p.data));
          const kind = callChecked(`${name}.forward`, (...x) => l.forward(...x), inputs, local);
          if (kind !== 'ok') expect(l.parameters().map((p) => Array.from(p.data))).toEqual(before);
        }),
        { numRuns: RUNS },
      );
      mergeOutcomes(outcomes, local);
    });
  }
  it('Module.loadStateDict: a result or a TapegradError, the module unchanged on failure', () => {
    const local: Outcomes = new Map();
    const names = ['weight', 'bias', '__proto__', 'constructor', 'extra'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.oneof(smallTensor, anyArg), { maxKeys: 3 }), fc.oneof(fc.constant(undefined), fc.record({ strict: fc.oneof(fc.boolean(), badValue) }), badValue), (sd, options) => {
        const m = new nn.Linear(2, 2, { dtype: 'float64' });
        const before = m.parameters().map((p) => Array.from(p.data));
        const kind = callChecked('Module.loadStateDict', (s, o) => m.loadStateDict(s as never, o as never), [sd, options], local);
        if (kind !== 'ok') expect(m.parameters().map((p) => Array.from(p.data))).toEqual(before);
      }),
      { numRuns: 400 * FUZZ_SCALE },
    );
    mergeOutcomes(outcomes, local);
  });
  it('init functions: a result or a TapegradError', () => {
    const local: Outcomes = new Map();
    for (const [name, fn] of Object.entries(nn.init) as [string, (...a: unknown[]) => unknown][]) {
      if (typeof fn !== 'function') continue;
      fc.assert(
        fc.property(fc.array(fc.oneof(smallTensor, anyArg, fc.double({ min: -2, max: 2 })), { maxLength: 3 }), (args) => {
          callChecked(`init.${name}`, fn, args, local);
        }),
        { numRuns: 100 * FUZZ_SCALE },
      );
    }
    mergeOutcomes(outcomes, local);
  });
});
