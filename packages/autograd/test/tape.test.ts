import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const f64 = (v: number[] | number[][], requiresGrad = true) => T.tensor(v, { dtype: 'float64', requiresGrad });
const arr = (t: T.Tensor | null) => Array.from(t!.data);

describe('backward and accumulation', () => {
  it('scalar backward fills .grad of leaves with d(loss)/d(leaf)', () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward();
    expect(arr(x.grad)).toEqual([2, 4, 6]);
  });
  it('gradients accumulate across backward calls until zeroed', () => {
    const x = f64([1, 2]);
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(arr(x.grad)).toEqual([6, 6]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(arr(x.grad)).toEqual([3, 3]);
  });
  it('a tensor used twice receives the sum of both paths', () => {
    const x = f64([2]);
    const y = x.add(x).mul(x); // 2x²
    y.backward();
    expect(arr(x.grad)).toEqual([8]);
  });
  it('non-scalar backward takes an explicit upstream gradient', () => {
    const x = f64([1, 2]);
    x.mul(2).backward(T.tensor([1, 10], { dtype: 'float64' }));
    expect(arr(x.grad)).toEqual([2, 20]);
  });
  it('non-leaf tensors keep no .grad unless retainGrad() is called', () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    const k = x.mul(3).retainGrad();
    h.add(k).sum().backward();
    expect(h.grad).toBeNull();
    expect(arr(k.grad)).toEqual([1, 1]);
  });
});

describe('slice gradients', () => {
  it('a tensor used densely and through slices receives the sum, and its hook sees the dense total', () => {
    const x = T.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    let seen: number[] = [];
    x.registerHook((g) => {
      seen = Array.from(g.data);
    });
    const y = T.add(T.sum(x), T.add(T.sum(T.mul(T.select(x, 1, 0), 3)), T.sum(T.slice(x, 1, 1, 3, 2))));
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 2, 1, 4, 2, 1]);
    expect(seen).toEqual([4, 2, 1, 4, 2, 1]);
  });
  it('a loop of selects gives the same gradient as one unbind', () => {
    const x = T.randn([3, 5, 2], { dtype: 'float64', requiresGrad: true, generator: new T.Generator(4) });
    const w = T.randn([2], { dtype: 'float64', generator: new T.Generator(5) });
    const viaSelect = T.gradients(T.stack(Array.from({ length: 5 }, (_, t) => T.mul(T.select(x, 1, t), t + 1)), 0).mul(w).sum(), [x])[0]!;
    const viaUnbind = T.gradients(T.stack(T.unbind(x, 1).map((p, t) => T.mul(p, t + 1)), 0).mul(w).sum(), [x])[0]!;
    viaSelect.data.forEach((v, i) => expect(v).toBeCloseTo(viaUnbind.data[i]!, 14));
  });
});

describe('graph lifetime', () => {
  it('a second backward through a freed graph raises a GraphError naming the op', () => {
    const x = f64([1, 2]);
    const y = x.tanh().sum();
    y.backward();
    expect(() => y.backward()).toThrow(T.GraphError);
    expect(() => y.backward()).toThrow(/freed.*retainGraph/);
  });
  it('retainGraph keeps the graph for a second backward', () => {
    const x = f64([1, 2]);
    const y = x.tanh().sum();
    y.backward(undefined, { retainGraph: true });
    const first = arr(x.grad);
    y.backward();
    expect(arr(x.grad)).toEqual(first.map((v) => 2 * v));
  });
});

describe('recording control', () => {
  it('noGrad records nothing: outputs do not require grad', () => {
    const x = f64([1]);
    const y = T.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    expect(T.isGradEnabled()).toBe(true);
  });
  it('requiresGrad propagates only from inputs that require it', () => {
    const a = f64([1], false);
    const b = f64([1]);
    expect(a.mul(2).requiresGrad).toBe(false);
    expect(a.mul(b).requiresGrad).toBe(true);
  });
  it('detach cuts the graph but shares the data', () => {
    const x = f64([1, 2]);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(arr(d)).toEqual([2, 4]);
    const y = d.mul(x).sum();
    y.backward();
    expect(arr(x.grad)).toEqual([2, 4]);
  });
});

describe('functional API', () => {
  it('grad(f) returns df/dx without touching .grad', () => {
    const x = f64([1, 2, 3]);
    const g = T.grad((t: T.Tensor) => t.pow(3).sum())(x);
    expect(arr(g)).toEqual([3, 12, 27]);
    expect(x.grad).toBeNull();
  });
  it('valueAndGrad with several argnums returns the value and one gradient each', () => {
    const [v, [ga, gb]] = T.valueAndGrad((a: T.Tensor, b: T.Tensor) => a.mul(b).sum(), { argnums: [0, 1] })(f64([1, 2]), f64([3, 4]));
    expect(v.item()).toBe(11);
    expect(arr(ga!)).toEqual([3, 4]);
    expect(arr(gb!)).toEqual([1, 2]);
  });
  it('gradients() refuses an input the output does not depend on unless allowUnused (null), or materializeGrads (zeros)', () => {
    const a = f64([1]), b = f64([5]);
    expect(() => T.gradients(a.mul(2), [a, b], { retainGraph: true })).toThrow(/inputs\[1\] \(shape \[1\]\) was not used/);
    const y = a.mul(2);
    const [ga, gb] = T.gradients(y, [a, b], { allowUnused: true, retainGraph: true });
    expect(arr(ga!)).toEqual([2]);
    expect(gb).toBeNull();
    const [, gz] = T.gradients(y, [a, b], { allowUnused: true, materializeGrads: true });
    expect(arr(gz!)).toEqual([0]);
  });
  it('grad/valueAndGrad refuse an argument the value does not depend on unless allowUnused (zeros)', () => {
    const f = (_x: T.Tensor, y: T.Tensor) => y.mul(y).sum();
    expect(() => T.grad(f)(f64([1]), f64([2]))).toThrow(T.GraphError);
    expect(() => T.grad(f)(f64([1]), f64([2]))).toThrow(/does not depend on argument 0/);
    expect(arr(T.grad(f, { allowUnused: true })(f64([1]), f64([2])))).toEqual([0]);
    // A constant function: nothing requires grad.
    expect(() => T.grad((_x: T.Tensor) => T.tensor(1, { dtype: 'float64' }))(f64([1]))).toThrow(/does not depend on argument 0/);
  });
  it('grad(grad(f)) is the second derivative, never a silent 0', () => {
    const f = (x: T.Tensor) => x.mul(x).mul(x).sum();
    const df = (x: T.Tensor) => T.grad(f)(x).sum();
    // f = x³: f'' = 6x
    expect(arr(T.grad(df)(f64([2])))).toEqual([12]);
    // backward() without createGraph inside the differentiated function, on a graph that reaches its input:
    // its result would act as a constant, so it raises and says how to record it.
    const viaBackward = (x: T.Tensor) => {
      const y = x.mul(x).sum();
      y.backward();
      return x.mul(1).sum();
    };
    expect(() => T.grad(viaBackward)(f64([2]))).toThrow(T.HigherOrderGradientError);
    expect(() => T.grad(viaBackward)(f64([2]))).toThrow(/createGraph: true/);
    // createGraph records: x.grad = 3x² is differentiable, d(Σ x.grad)/dx = 6x.
    const x = f64([2]);
    f(x).backward({ createGraph: true });
    expect(arr(x.grad!)).toEqual([12]);
    expect(x.grad!.requiresGrad).toBe(true);
    expect(arr(T.gradients(x.grad!.sum(), [x])[0]!)).toEqual([12]);
    // An inner gradient wrapped in noGrad is an explicit constant: allowed.
    const constant = (z: T.Tensor) => z.mul(T.noGrad(() => T.grad(f)(z.detach()))).sum();
    expect(arr(T.grad(constant)(f64([2])))).toEqual([12]);
    // An independent inner grad (graph not reaching the outer input) is fine.
    const independent = (z: T.Tensor) => z.mul(T.grad(f)(f64([1])).sum()).sum();
    expect(arr(T.grad(independent)(f64([2])))).toEqual([3]);
  });
  it('backward takes its options first or second, and rejects unknown ones', () => {
    const x = f64([3]);
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(arr(x.grad!)).toEqual([12]);
    expect(() => x.mul(2).sum().backward({ retain_graph: true } as never)).toThrow(/unknown option 'retain_graph' \(did you mean `retainGraph`\?\)/);
  });
  it('a backward pass that fails leaves every .grad as it was and keeps the graph', () => {
    const a = f64([1]), b = f64([2]);
    a.grad = T.tensor([10], { dtype: 'float64' });
    const y = a.mul(b).sum();
    const handle = b.registerHook(() => {
      throw new Error('hook failed');
    });
    expect(() => y.backward()).toThrow('hook failed');
    expect(arr(a.grad!)).toEqual([10]);
    expect(b.grad).toBeNull();
    handle.remove();
    y.backward();
    expect(arr(a.grad!)).toEqual([12]);
    expect(arr(b.grad!)).toEqual([1]);
  });
});

describe('hooks', () => {
  it('a hook sees the complete gradient and may replace it', () => {
    const x = f64([1, 2]);
    const seen: number[][] = [];
    const h = x.mul(2);
    h.registerHook((g) => {
      seen.push(Array.from(g.data));
      return g.mul(10);
    });
    h.add(h).sum().backward();
    expect(seen).toEqual([[2, 2]]);
    expect(arr(x.grad)).toEqual([40, 40]);
  });
  it('a leaf hook runs once before accumulation; remove() detaches it', () => {
    const x = f64([1, 2]);
    let calls = 0;
    const handle = x.registerHook((g) => {
      calls++;
      return T.clamp(g, -1, 1);
    });
    x.mul(5).sum().backward();
    expect(arr(x.grad)).toEqual([1, 1]);
    handle.remove();
    x.grad = null;
    x.mul(5).sum().backward();
    expect(arr(x.grad)).toEqual([5, 5]);
    expect(calls).toBe(1);
  });
  it('a hook returning the wrong shape is rejected', () => {
    const x = f64([1, 2]);
    x.registerHook(() => f64([1], false));
    expect(() => x.sum().backward()).toThrow(/registerHook.*\[1\].*\[2\]/);
  });
});

describe('custom ops', () => {
  it('customOp: a user-defined op with its own backward', () => {
    const cube = T.customOp({
      name: 'cube',
      forward: (x: T.Tensor) => ({ out: T.noGrad(() => x.pow(3)), saved: x }),
      backward: (x, g) => [g.mul(x.square().mul(3))],
    });
    const x = f64([2]);
    cube(x).backward();
    expect(arr(x.grad)).toEqual([12]);
    expect(T.gradcheck(cube, [f64([0.5, -1.2])]).passed).toBe(true);
  });
  it('clipGradient is the identity forward and clamps the gradient backward', () => {
    const x = f64([1, 2, 3]);
    const y = T.clipGradient(x, -0.5, 0.5);
    expect(arr(y)).toEqual([1, 2, 3]);
    y.mul(T.tensor([2, -0.1, -3], { dtype: 'float64' })).sum().backward();
    expect(arr(x.grad)).toEqual([0.5, -0.1, -0.5]);
  });
});

describe('anomaly mode', () => {
  it('raises at the first op whose forward produces NaN/Inf, naming the op', () => {
    const x = f64([-1, 1]);
    expect(() => T.detectAnomaly(() => x.log())).toThrow(/log: forward produced NaN/);
    expect(() => x.log()).not.toThrow();
  });
  it('raises when a backward produces a non-finite gradient', () => {
    const x = f64([0, 1]);
    expect(() => T.detectAnomaly(() => x.sqrt().sum().backward())).toThrow(/sqrt: backward .*Infinity/);
  });
});

describe('Tensor basics', () => {
  it('toArray round-trips nested arrays and item() reads scalars', () => {
    const t = T.tensor([[1, 2], [3, 4]]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(T.tensor(5).item()).toBe(5);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
  });
  it('toString shows values, shape and dtype', () => {
    const s = T.tensor([[1, 2], [3, 4]], { dtype: 'float64' }).toString();
    expect(s).toContain('shape=[2,2]');
    expect(s).toContain('float64');
    expect(T.arange(100).toString()).toContain('...');
  });
  it('random factories are reproducible under manualSeed and an explicit generator', () => {
    T.manualSeed(42);
    const a = T.randn([5]);
    T.manualSeed(42);
    const b = T.randn([5]);
    expect(arr(a)).toEqual(arr(b));
    const g1 = new T.Generator(7), g2 = new T.Generator(7);
    expect(arr(T.rand([4], { generator: g1 }))).toEqual(arr(T.rand([4], { generator: g2 })));
    const r = T.randint(2, 5, [1000]);
    expect(Math.min(...r.data)).toBe(2);
    expect(Math.max(...r.data)).toBe(4);
  });
  it('randn has mean ≈ 0 and variance ≈ 1; uniform stays in range', () => {
    const x = T.randn([20000], { dtype: 'float64', generator: new T.Generator(1) });
    expect(Math.abs(x.mean().item())).toBeLessThan(0.03);
    expect(Math.abs(x.var().item() - 1)).toBeLessThan(0.05);
    const u = T.uniform([1000], -2, 3);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u.data)).toBeLessThan(3);
  });
  it('creation helpers produce the documented values', () => {
    expect(arr(T.arange(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arr(T.linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(T.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(arr(T.full([2], 7))).toEqual([7, 7]);
    expect(T.zerosLike(T.ones([2, 2], { dtype: 'float64' })).dtype).toBe('float64');
    expect(Array.from(T.randperm(5).data).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
