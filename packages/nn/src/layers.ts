/** Feed-forward layers and activation modules, PyTorch layouts and default inits. */
import type { FloatArray, FloatDType, Generator, Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ValueError, checkOptions, defaultGenerator, describeValue, optionalBoolean, optionalChoice, requireNumber } from '@tapegrad/autograd';
import { kaimingUniform, normal, ones, uniform, zeros } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options shared by layers that create parameters. */
export interface LayerOptions {
  dtype?: FloatDType;
  generator?: Generator;
}

/** An uninitialized parameter of the given shape. */
export function emptyParameter(shape: readonly number[], dtype: FloatDType = 'float32'): Parameter {
  // zeros() validates the shape and refuses sizes no tensor can hold, before allocating.
  return new Parameter(T.zeros(shape, { dtype }).data as FloatArray, shape);
}

function positiveInt(op: string, name: string, v: number): number {
  return requireNumber(op, name, v, { integer: true, min: 1 });
}

/**
 * Validates a layer's options object: known keys only, `dtype` float32 or
 * float64, `generator` a Generator, and the named booleans booleans.
 */
export function layerOptions(fn: string, options: unknown, known: readonly string[], booleans: readonly string[] = []): void {
  checkOptions(fn, options, known);
  const o = (options ?? {}) as Record<string, unknown>;
  optionalChoice(fn, 'dtype', o.dtype, ['float32', 'float64'], 'float32');
  if (o.generator !== undefined && !(o.generator instanceof T.Generator)) throw new ValueError(fn, `generator must be a Generator, got ${describeValue(o.generator)}`);
  for (const b of booleans) optionalBoolean(fn, b, o[b], false);
}

/**
 * y = x·Wᵀ + b with W [out, in] (torch.nn.Linear). Default init as PyTorch:
 * W ~ kaiming-uniform(a = √5) = U(±1/√in), b ~ U(±1/√in).
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LayerOptions & { bias?: boolean } = {}) {
    super();
    layerOptions('Linear', options, ['dtype', 'generator', 'bias'], ['bias']);
    positiveInt('Linear', 'inFeatures', inFeatures);
    positiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = emptyParameter([outFeatures, inFeatures], options.dtype);
    kaimingUniform(this.weight, { a: Math.sqrt(5), generator: options.generator });
    this.bias = options.bias === false ? null : emptyParameter([outFeatures], options.dtype);
    if (this.bias) {
      const bound = 1 / Math.sqrt(inFeatures);
      uniform(this.bias, -bound, bound, { generator: options.generator });
    }
  }
  forward(x: Tensor): Tensor {
    return T.linear(x, this.weight, this.bias);
  }
  protected override describe(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** A lookup table [num, dim] (torch.nn.Embedding), initialized N(0, 1). */
export class Embedding extends Module {
  weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: LayerOptions = {}) {
    super();
    layerOptions('Embedding', options, ['dtype', 'generator']);
    positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    positiveInt('Embedding', 'embeddingDim', embeddingDim);
    this.weight = emptyParameter([numEmbeddings, embeddingDim], options.dtype);
    normal(this.weight, 0, 1, { generator: options.generator });
  }
  forward(ids: T.IndexLike): Tensor {
    return T.embedding(this.weight, ids);
  }
  protected override describe(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

/**
 * Inverted dropout (Srivastava et al. 2014): in training, zero each entry with
 * probability p and scale the rest by 1/(1 − p); the identity in eval mode.
 * The mask comes from the module's generator, so runs are reproducible.
 */
export class Dropout extends Module {
  private readonly generator: Generator;
  constructor(readonly p = 0.5, options: { generator?: Generator } = {}) {
    super();
    requireNumber('Dropout', 'p', p, { min: 0, max: 1, maxExclusive: true });
    layerOptions('Dropout', options, ['generator']);
    this.generator = options.generator ?? defaultGenerator;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
  protected override describe(): string {
    return `p=${this.p}`;
  }
}

/** Functional inverted dropout: a no-op when not training or p = 0. */
export function dropout(x: Tensor, p: number, training: boolean, generator: Generator = defaultGenerator): Tensor {
  if (!training || p === 0) return x;
  const mask = T.zerosLike(x);
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.size; i++) mask.data[i] = generator.random() < p ? 0 : scale;
  return T.mul(x, mask);
}

/** Anything with a one-tensor forward. */
export interface Layer {
  forward(x: Tensor): Tensor;
}

/** Chains layers: forward(x) = layerN(… layer1(x)). Children are named 0, 1, … */
export class Sequential extends Module {
  readonly layers: (Module & Layer)[];
  constructor(...layers: (Module & Layer)[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module) || typeof (l as Partial<Layer>).forward !== 'function') throw new ValueError('Sequential', `layer ${i} must be a Module with a forward(x) method, got ${describeValue(l)}`);
    });
    this.layers = layers;
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, l) => l.forward(h), x);
  }
  override namedParameters(prefix = '') {
    // PyTorch names Sequential children 0, 1, … (not layers.0), and lists a layer used twice once.
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    this.layers.forEach((l, i) => {
      for (const [name, p] of l.namedParameters(prefix ? `${prefix}.${i}` : String(i))) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([name, p]);
      }
    });
    return out;
  }
  override namedChildren(): [string, Module][] {
    return this.layers.map((l, i) => [String(i), l]);
  }
}

/** Returns its input unchanged. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Layer normalization over the last dims (Ba, Kiros & Hinton 2016):
 * y = (x − E[x]) / √(Var[x] + ε) · γ + β, biased variance, γ = 1, β = 0 initially.
 */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | readonly number[], readonly options: { eps?: number; elementwiseAffine?: boolean; dtype?: FloatDType } = {}) {
    super();
    layerOptions('LayerNorm', options, ['eps', 'elementwiseAffine', 'dtype'], ['elementwiseAffine']);
    if (options.eps !== undefined) requireNumber('LayerNorm', 'eps', options.eps, { min: 0 });
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : [];
    if (this.normalizedShape.length === 0 || !this.normalizedShape.every((d) => Number.isInteger(d) && d >= 1)) throw new ValueError('LayerNorm', `normalizedShape must be a positive integer or a non-empty list of them, got ${describeValue(normalizedShape)}`);
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? ones(emptyParameter(this.normalizedShape, options.dtype)) as Parameter : null;
    this.bias = affine ? zeros(emptyParameter(this.normalizedShape, options.dtype)) as Parameter : null;
  }
  forward(x: Tensor): Tensor {
    if (!(x instanceof T.Tensor)) throw new ValueError('LayerNorm', `input must be a Tensor, got ${describeValue(x)}`);
    const k = this.normalizedShape.length;
    if (x.shape.slice(-k).join() !== this.normalizedShape.join()) throw new ValueError('LayerNorm', `input's last dims ${JSON.stringify(x.shape.slice(-k))} do not match normalizedShape ${JSON.stringify(this.normalizedShape)}`);
    const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const mean = T.mean(x, { dim: dims, keepdim: true });
    const centered = T.sub(x, mean);
    const variance = T.mean(T.square(centered), { dim: dims, keepdim: true });
    let y = T.div(centered, T.sqrt(T.add(variance, this.options.eps ?? 1e-5)));
    if (this.weight) y = T.mul(y, this.weight);
    if (this.bias) y = T.add(y, this.bias);
    return y;
  }
}

/** Activation modules: thin wrappers so they can sit in a Sequential. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return T.tanh(x);
  }
}
/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return T.relu(x);
  }
}
/** 1 / (1 + e^{−x}). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return T.sigmoid(x);
  }
}
/** x·Φ(x) (exact) or its tanh approximation. */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    optionalChoice('GELU', 'approximate', approximate, ['none', 'tanh'], 'none');
  }
  forward(x: Tensor): Tensor {
    return T.gelu(x, { approximate: this.approximate });
  }
}
/** x for x > 0, slope·x otherwise (slope 0.01 by default). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    requireNumber('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return T.leakyRelu(x, this.negativeSlope);
  }
}
/** x for x > 0, α(eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    requireNumber('ELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return T.elu(x, this.alpha);
  }
}
/** ln(1 + e^{βx})/β, linear above the threshold. */
export class Softplus extends Module {
  constructor(readonly options: { beta?: number; threshold?: number } = {}) {
    super();
    checkOptions('Softplus', options, ['beta', 'threshold']);
    if (options.beta !== undefined) requireNumber('Softplus', 'beta', options.beta);
    if (options.threshold !== undefined) requireNumber('Softplus', 'threshold', options.threshold);
  }
  forward(x: Tensor): Tensor {
    return T.softplus(x, this.options);
  }
}
