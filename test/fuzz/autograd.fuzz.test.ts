/**
 * Fuzz test of @tapegrad/autograd's public functions and Tensor methods.
 * Invariant: every call returns a value or throws a TapegradError subclass
 * (never a raw TypeError/RangeError), within a time bound, and a failed call
 * leaves its tensor arguments unchanged.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import type { Outcomes } from './harness.js';
import { FUZZ_SCALE, anyArg, callChecked, mergeOutcomes } from './harness.js';
import { record } from './outcomes.js';

type Fn = (...a: unknown[]) => unknown;
const fns = T as unknown as Record<string, Fn>;

/** Public functions with the number of arguments to generate. */
const API: [string, number][] = [
  ['tensor', 2], ['zeros', 2], ['ones', 2], ['full', 3], ['zerosLike', 2], ['onesLike', 2], ['fullLike', 3], ['arange', 4], ['linspace', 4], ['eye', 3],
  ['rand', 2], ['randn', 2], ['uniform', 4], ['normal', 4], ['randint', 4], ['randLike', 2], ['randnLike', 2], ['randperm', 2],
  ['neg', 1], ['exp', 1], ['log', 1], ['log1p', 1], ['expm1', 1], ['sqrt', 1], ['reciprocal', 1], ['tanh', 1], ['sigmoid', 1], ['relu', 1], ['abs', 1], ['sign', 1],
  ['sin', 1], ['cos', 1], ['square', 1], ['clone', 1], ['softplus', 2], ['gelu', 2], ['leakyRelu', 2], ['elu', 2], ['powScalar', 2], ['clamp', 3],
  ['add', 2], ['sub', 2], ['mul', 2], ['div', 2], ['pow', 2], ['powTensor', 2], ['maximum', 2], ['minimum', 2], ['where', 3], ['gt', 2], ['lt', 2], ['ge', 2], ['le', 2], ['eq', 2], ['ne', 2],
  ['sum', 3], ['mean', 3], ['max', 3], ['min', 3], ['argmax', 3], ['argmin', 3], ['logsumexp', 3], ['variance', 3], ['std', 3], ['norm', 4],
  ['reshape', 2], ['view', 2], ['flatten', 3], ['unsqueeze', 2], ['squeeze', 2], ['permute', 2], ['transpose', 3], ['slice', 5], ['narrow', 4], ['select', 3],
  ['expand', 2], ['cat', 2], ['stack', 2], ['split', 3], ['chunk', 3], ['unbind', 2], ['to', 2],
  ['matmul', 2], ['linear', 3], ['indexSelect', 3], ['embedding', 2], ['gather', 3], ['softmax', 2], ['logSoftmax', 2],
  ['mseLoss', 3], ['l1Loss', 3], ['huberLoss', 3], ['smoothL1Loss', 3], ['bceWithLogits', 3], ['nllLoss', 3], ['crossEntropy', 3],
  ['gradients', 3], ['backward', 3], ['rnnCell', 5], ['lstmCell', 6], ['gruCell', 6], ['manualSeed', 1], ['gradcheck', 3],
  ['lstmSequence', 5], ['gruSequence', 5], ['rnnSequence', 4], ['setBackend', 1],
  ['vjp', 4], ['jvp', 4], ['hvp', 4], ['jacobian', 3], ['hessian', 3], ['gradgradcheck', 3], ['grad', 2], ['valueAndGrad', 2],
];

/** Tensor methods (called on a generated tensor). */
const METHODS: [string, number][] = [
  ['sum', 2], ['mean', 2], ['max', 2], ['argmax', 2], ['var', 2], ['std', 2], ['norm', 3], ['reshape', 1], ['transpose', 2], ['slice', 4], ['narrow', 3],
  ['split', 2], ['chunk', 2], ['softmax', 1], ['to', 1], ['item', 0], ['toArray', 0], ['backward', 2], ['registerHook', 1], ['retainGrad', 0], ['requiresGrad_', 1],
  ['clamp', 2], ['pow', 1], ['matmul', 1], ['gather', 2], ['expand', 1], ['permute', 1], ['squeeze', 1], ['unsqueeze', 1], ['select', 2],
];

const outcomes: Outcomes = new Map();
const RUNS = 150 * FUZZ_SCALE;

describe('fuzz: autograd public API', () => {
  afterAll(() => {
    T.setBackend('wasm');
    record('autograd', outcomes);
  });
  for (const [name, arity] of API) {
    it(`${name}: a result or a TapegradError, inputs unchanged on failure`, () => {
      const fn = fns[name];
      if (typeof fn !== 'function') throw new Error(`${name} is not exported`);
      const local: Outcomes = new Map();
      fc.assert(fc.property(fc.array(anyArg, { minLength: 0, maxLength: arity }), (args) => {
        callChecked(name, fn, args, local);
      }), { numRuns: RUNS });
      mergeOutcomes(outcomes, local);
    });
  }
  for (const [name, arity] of METHODS) {
    it(`Tensor.${name}: a result or a TapegradError, inputs unchanged on failure`, () => {
      const local: Outcomes = new Map();
      fc.assert(
        fc.property(anyArg.filter((a) => a instanceof T.Tensor), fc.array(anyArg, { maxLength: arity }), (self, args) => {
          const method = (self as unknown as Record<string, Fn>)[name]!;
          callChecked(`Tensor.${name}`, (...a) => method.apply(self, a), [self, ...args].slice(1), local);
        }),
        { numRuns: RUNS },
      );
      mergeOutcomes(outcomes, local);
    });
  }
  it('Generator.setState: a bad state is a named error and the generator keeps its stream', () => {
    const local: Outcomes = new Map();
    fc.assert(
      fc.property(fc.oneof(anyArg, fc.record({ s: fc.array(fc.oneof(fc.integer(), fc.constant(0), anyArg), { maxLength: 5 }), spare: fc.oneof(fc.constant(null), anyArg) })), (state) => {
        const g = new T.Generator(3);
        const reference = new T.Generator(3);
        const kind = callChecked('Generator.setState', (s) => g.setState(s as T.GeneratorState), [state], local);
        if (kind !== 'ok' && g.getState().s.join() !== reference.getState().s.join()) throw new Error('a rejected setState changed the generator');
        // Accepted or not, the stream must go on with finite draws (an all-zero state would hang normal()).
        for (let i = 0; i < 4; i++) if (!Number.isFinite(g.normal())) throw new Error(`setState(${String(state)}) led to a non-finite draw`);
      }),
      { numRuns: 300 * FUZZ_SCALE },
    );
    mergeOutcomes(outcomes, local);
  });
});
