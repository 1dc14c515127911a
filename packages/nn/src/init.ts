/**
 * In-place initializers (torch.nn.init), each taking the seedable generator.
 * fanIn/fanOut follow PyTorch: for a [out, in, ...] weight, fanIn = in·receptive,
 * fanOut = out·receptive.
 */
import type { FloatArray } from '@tapegrad/autograd';
import { Generator, Tensor, ValueError, checkOptions, defaultGenerator, describeValue, noGrad, optionalChoice, requireNumber } from '@tapegrad/autograd';

/** Options of the random initializers. */
export interface InitOptions {
  generator?: Generator;
}

function fans(op: string, t: Tensor): [number, number] {
  if (!(t instanceof Tensor)) throw new ValueError(op, `expected a tensor, got ${describeValue(t)}`);
  if (t.ndim < 2) throw new ValueError(op, `fan in and fan out need a tensor of at least 2 dims, got ${t.ndim}`);
  const receptive = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fill(t: Tensor, draw: () => number): Tensor {
  noGrad(() => {
    const d = t.data as FloatArray;
    for (let i = 0; i < d.length; i++) d[i] = draw();
  });
  return t;
}

/** U(a, b). */
/** The generator of an init call, with the target and options checked first. */
function initArgs(op: string, t: unknown, options: unknown): Generator {
  if (!(t instanceof Tensor) || t.dtype === 'int32') throw new ValueError(op, `expected a float tensor to fill, got ${t instanceof Tensor ? 'an int32 tensor' : describeValue(t)}`);
  checkOptions(op, options, ['generator', 'a', 'mode', 'nonlinearity']);
  const g = (options as InitOptions | undefined)?.generator;
  if (g !== undefined && !(g instanceof Generator)) throw new ValueError(op, `generator must be a Generator, got ${describeValue(g)}`);
  return g ?? defaultGenerator;
}

export function uniform(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  const g = initArgs('init.uniform', t, options);
  requireNumber('init.uniform', 'a', a);
  requireNumber('init.uniform', 'b', b);
  return fill(t, () => a + (b - a) * g.random());
}
/** N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  const g = initArgs('init.normal', t, options);
  requireNumber('init.normal', 'mean', mean);
  requireNumber('init.normal', 'std', std, { min: 0 });
  return fill(t, () => mean + std * g.normal());
}
/** Fills `t` with `value` in place. */
export function constant(t: Tensor, value: number): Tensor {
  initArgs('init.constant', t, {});
  requireNumber('init.constant', 'value', value, { infinite: true });
  t.data.fill(value);
  return t;
}
/** Fills `t` with zeros in place. */
export const zeros = (t: Tensor): Tensor => constant(t, 0);
/** Fills `t` with ones in place. */
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** Recommended gains (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu', param?: number): number {
  if (param !== undefined) requireNumber('calculateGain', 'param', param);
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      throw new ValueError('calculateGain', `nonlinearity must be 'linear', 'sigmoid', 'tanh', 'relu' or 'leaky_relu', got ${describeValue(nonlinearity)}`);
  }
}

/** Glorot & Bengio (2010): U(−a, a), a = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fi, fo] = fans('xavierUniform', t);
  requireNumber('xavierUniform', 'gain', gain);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform(t, -a, a, options);
}
/** Glorot & Bengio (2010): N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fi, fo] = fans('xavierNormal', t);
  requireNumber('xavierNormal', 'gain', gain);
  return normal(t, 0, gain * Math.sqrt(2 / (fi + fo)), options);
}

/** Options of the Kaiming (He) initializers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the following leaky relu (0 for relu). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: 'relu' | 'leaky_relu' | 'linear' | 'tanh' | 'sigmoid';
}
/** He et al. (2015): U(−b, b), b = gain·√(3 / fan). */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans('kaimingUniform', t);
  checkOptions('kaimingUniform', options, ['generator', 'a', 'mode', 'nonlinearity']);
  const fan = optionalChoice('kaimingUniform', 'mode', options.mode, ['fanIn', 'fanOut'], 'fanIn') === 'fanOut' ? fo : fi;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const b = gain * Math.sqrt(3 / fan);
  return uniform(t, -b, b, options);
}
/** He et al. (2015): N(0, σ²), σ = gain / √fan. */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans('kaimingNormal', t);
  checkOptions('kaimingNormal', options, ['generator', 'a', 'mode', 'nonlinearity']);
  const fan = optionalChoice('kaimingNormal', 'mode', options.mode, ['fanIn', 'fanOut'], 'fanIn') === 'fanOut' ? fo : fi;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return normal(t, 0, gain / Math.sqrt(fan), options);
}

/**
 * A (semi-)orthogonal matrix scaled by `gain` (Saxe, McClelland & Ganguli
 * 2014): a Gaussian matrix orthonormalized by modified Gram–Schmidt, i.e. the
 * Q of a QR factorization whose R has a positive diagonal — which makes Q
 * uniformly (Haar) distributed.
 * The usual choice for recurrent weights (each H×H block of weight_hh).
 */
export function orthogonal(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  initArgs('init.orthogonal', t, options);
  requireNumber('init.orthogonal', 'gain', gain);
  if (t.ndim < 2) throw new ValueError('orthogonal', `needs at least 2 dims, got ${t.ndim}`);
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  const g = options.generator ?? defaultGenerator;
  // Orthonormalize the columns of a tall matrix [m, n], m ≥ n.
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows;
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = g.normal();
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[i * n + j]! * a[i * n + k]!;
      for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const d = t.data as FloatArray;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) d[r * cols + c] = gain * (tall ? a[r * n + c]! : a[c * n + r]!);
  return t;
}
