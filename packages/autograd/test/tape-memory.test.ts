/**
 * What the tape keeps alive between forward and backward. Invariants:
 * an intermediate that no backward reads is collected as soon as the program
 * drops it (records refer to tensors through slots, ops save only what their
 * gradient reads, and a record's closures capture nothing else); what a
 * backward does read stays alive until that backward has run; hooks on a
 * dropped intermediate still run; and gradients — first and second order —
 * are the same as when the program holds every intermediate.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { UNARY } from '../src/backend/unary.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** A full collection, after the current job (WeakRefs made in a job keep their targets until it ends). */
async function collect(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  gc();
  gc();
}

const gen = () => new T.Generator(3);

describe('the tape keeps only what backward reads', () => {
  it('the output of a matmul that only an add consumed, and that add\'s output that only tanh consumed, are collected before backward; the gradient is unchanged', async () => {
    const g = gen();
    const W = T.randn([32, 32], { generator: g, dtype: 'float64' }).requiresGrad_();
    const b = T.randn([32], { generator: g, dtype: 'float64' }).requiresGrad_();
    const x = T.randn([8, 32], { generator: g, dtype: 'float64' });
    const refs: WeakRef<T.Tensor>[] = [];
    const forward = (hold: T.Tensor[] | null) => {
      const m = T.matmul(x, W);
      const a = T.add(m, b);
      if (hold) hold.push(m, a);
      else refs.push(new WeakRef(m), new WeakRef(a));
      return T.tanh(a).pow(2).sum();
    };
    const loss = forward(null);
    await collect();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
    loss.backward();
    const gW = Array.from(W.grad!.data), gb = Array.from(b.grad!.data);
    W.grad = null;
    b.grad = null;
    const held: T.Tensor[] = [];
    forward(held).backward();
    expect(Array.from(W.grad!.data)).toEqual(gW);
    expect(Array.from(b.grad!.data)).toEqual(gb);
  });

  it('what a backward reads stays alive until backward has run, and is collected after it', async () => {
    const W = T.randn([16, 16], { generator: gen() }).requiresGrad_();
    let y: T.Tensor | null = T.tanh(T.matmul(T.ones([4, 16]), W)); // tanh's derivative reads its output
    const ref = new WeakRef(y);
    let loss: T.Tensor | null = T.mul(y, 2).sum();
    y = null;
    await collect();
    expect(ref.deref()).toBeDefined();
    loss.backward();
    loss = null;
    await collect();
    expect(ref.deref()).toBeUndefined();
  });

  it('every unary op keeps exactly what its derivative reads (input, output, both or neither)', async () => {
    const calls: Record<string, (x: T.Tensor) => T.Tensor> = {
      identity: T.clone, neg: T.neg, exp: T.exp, log: T.log, log1p: T.log1p, expm1: T.expm1, sqrt: T.sqrt, reciprocal: T.reciprocal,
      tanh: T.tanh, sigmoid: T.sigmoid, relu: T.relu, abs: T.abs, sin: T.sin, cos: T.cos, square: T.square, softplus: (x) => T.softplus(x),
      gelu: (x) => T.gelu(x), geluTanh: (x) => T.gelu(x, { approximate: 'tanh' }), leakyRelu: (x) => T.leakyRelu(x), elu: (x) => T.elu(x),
      powScalar: (x) => T.powScalar(x, 3), clamp: (x) => T.clamp(x, 0.6, 1.2),
    };
    for (const [name, kernel] of Object.entries(UNARY)) {
      if (!kernel.backward) continue;
      const call = calls[name];
      if (!call) throw new Error(`the test has no call for the unary kernel ${name}`);
      const leaf = T.rand([64], { generator: gen(), dtype: 'float64' }).requiresGrad_();
      const refs: WeakRef<T.Tensor>[] = [];
      const loss = (() => {
        const x = T.add(leaf, 0.5); // a non-leaf input: only the op's record could keep it
        const y = call(x);
        refs.push(new WeakRef(x), new WeakRef(y));
        return y.sum(); // sum keeps nothing of y
      })();
      await collect();
      expect({ name, x: refs[0]!.deref() !== undefined, y: refs[1]!.deref() !== undefined }).toEqual({ name, x: kernel.reads.includes('x'), y: kernel.reads.includes('y') });
      loss.backward();
    }
  });

  it('a hook on an intermediate the program dropped still runs, and retainGrad still fills .grad', async () => {
    const W = T.randn([8, 8], { generator: gen() }).requiresGrad_();
    let seen = 0;
    const loss = (() => {
      const m = T.matmul(T.ones([2, 8]), W);
      m.registerHook((g) => {
        seen++;
        return T.mul(g, 0);
      });
      return T.add(m, 1).sum();
    })();
    await collect();
    loss.backward();
    expect(seen).toBe(1);
    expect(Array.from(W.grad!.data).every((v) => v === 0)).toBe(true);
    const m = T.matmul(T.ones([2, 8]), W).retainGrad();
    T.add(m, 1).sum().backward();
    expect(Array.from(m.grad!.data)).toEqual(new Array(16).fill(1));
  });

  it('second derivatives through dropped intermediates are right (gradgradcheck)', () => {
    const g = gen();
    const W = T.randn([5, 5], { generator: g, dtype: 'float64' }).requiresGrad_();
    const x = T.randn([3, 5], { generator: g, dtype: 'float64' }).requiresGrad_();
    const f = (xx: T.Tensor, ww: T.Tensor) => T.sigmoid(T.add(T.matmul(xx, ww), T.div(xx, 3))).pow(2).sum();
    expect(T.gradgradcheck(f, [x, W]).passed).toBe(true);
  });
});
