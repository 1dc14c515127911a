/** The pointwise op families shared by the first- and second-order gradient checks, with value ranges away from kinks and poles. */
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { ValueRange } from './arbitraries.js';

export const unaryCases: [string, (x: Tensor) => Tensor, ValueRange][] = [
  ['neg', T.neg, {}],
  ['exp', T.exp, {}],
  ['log', T.log, { min: 0.3, max: 3 }],
  ['log1p', T.log1p, { min: -0.5, max: 3 }],
  ['expm1', T.expm1, {}],
  ['sqrt', T.sqrt, { min: 0.3, max: 3 }],
  ['reciprocal', T.reciprocal, { min: 0.3, max: 3 }],
  ['tanh', T.tanh, {}],
  ['sigmoid', T.sigmoid, {}],
  ['relu', T.relu, { avoid: [0] }],
  ['abs', T.abs, { avoid: [0] }],
  ['sin', T.sin, {}],
  ['cos', T.cos, {}],
  ['square', T.square, {}],
  ['softplus', (x) => T.softplus(x), {}],
  ['softplus beta=2 threshold=1', (x) => T.softplus(x, { beta: 2, threshold: 1 }), { avoid: [0.5] }],
  ['gelu', (x) => T.gelu(x), {}],
  ['gelu tanh', (x) => T.gelu(x, { approximate: 'tanh' }), {}],
  ['leakyRelu', (x) => T.leakyRelu(x, 0.1), { avoid: [0] }],
  ['elu', (x) => T.elu(x, 0.7), { avoid: [0] }],
  ['pow 3', (x) => T.pow(x, 3), {}],
  ['pow 0.5', (x) => T.pow(x, 0.5), { min: 0.3, max: 3 }],
  ['clamp', (x) => T.clamp(x, -0.5, 0.7), { avoid: [-0.5, 0.7] }],
  ['clone', T.clone, {}],
];

export const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, ValueRange, ValueRange][] = [
  ['add', T.add, {}, {}],
  ['sub', T.sub, {}, {}],
  ['mul', T.mul, {}, {}],
  ['div', T.div, {}, { min: 0.5, max: 2 }],
  ['pow', T.powTensor, { min: 0.5, max: 2 }, {}],
  ['maximum', T.maximum, { min: -2, max: -0.1 }, { min: 0.1, max: 2 }],
  ['minimum', T.minimum, { min: -2, max: -0.1 }, { min: 0.1, max: 2 }],
];
