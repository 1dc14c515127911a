/**
 * higher.json: second-order quantities PyTorch took through
 * create_graph=True, so they pass only where tapegrad's backward pass is
 * itself differentiable.
 * - op: g_i = ∂Σ(out·u)/∂args_i with createGraph, s = Σ_i Σ(g_i·v_i),
 *   hvp_i = ∂s/∂args_i (zeros where s does not depend on args_i).
 * - gradient_penalty: a tanh MLP whose loss adds λ·mean_b Σ_i (∂CE_sum/∂x)²;
 *   the loss and its parameter gradients.
 * - recurrent_hvp: recurrent layer → last step → Linear → CE (mean); the
 *   gradient and the Hessian-vector product for every parameter.
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { Linear } from '@tapegrad/nn';
import type { Comparison, FixtureTensor } from './fixture.js';
import { compare, load } from './fixture.js';
import { OPS, loadKwargs } from './ops-suite.js';
import { precision } from './precision.js';
import { makeRecurrent } from './recurrent-suite.js';
import type { CaseResult, Suite } from './suite.js';
import { casesOf, guard } from './suite.js';
import { SequenceClassifier } from './train-suite.js';

/** Σ_i Σ(g_i · v_i) over the pairs that have both; null when nothing depends on the inputs. */
function directional(grads: readonly (Tensor | null)[], vs: readonly (Tensor | null)[]): Tensor | null {
  let s: Tensor | null = null;
  grads.forEach((g, i) => {
    const v = vs[i];
    if (!g || !v) return;
    const term = T.sum(T.mul(g, v));
    s = s ? T.add(s, term) : term;
  });
  return s;
}

/** ∂s/∂inputs, zeros where s does not depend on an input (or is a constant). */
function secondGrads(s: Tensor | null, inputs: readonly Tensor[]): Tensor[] {
  if (!s || !s.requiresGrad) return inputs.map((t) => T.zerosLike(t));
  return T.gradients(s, inputs, { allowUnused: true, materializeGrads: true });
}

function opCase(c: Record<string, unknown>, index: number): CaseResult {
  const op = String(c.op);
  return guard(`higher[${index}] op ${op}`, () => {
    const runner = OPS[op];
    if (!runner) throw new Error(`unsupported op '${op}'`);
    const grads = (c.grads as (FixtureTensor | null)[] | undefined) ?? [];
    const hvps = (c.hvp as (FixtureTensor | null)[] | undefined) ?? [];
    const vs = (c.v as (FixtureTensor | null)[] | undefined) ?? [];
    const args = (c.args as (FixtureTensor | number)[]).map((a, i) => (typeof a === 'number' ? a : load(a, grads[i] != null)));
    const result = runner(args, loadKwargs(c.kwargs as Record<string, unknown>));
    const outs = Array.isArray(result) ? result : [result];
    const comparisons: Comparison[] = [compare('out', outs[0], c.out as FixtureTensor)];
    const ups = Array.isArray(c.upstream) ? (c.upstream as FixtureTensor[]) : [c.upstream as FixtureTensor];
    const positions = grads.map((g, i) => (g != null && typeof args[i] !== 'number' ? i : -1)).filter((i) => i >= 0);
    const inputs = positions.map((i) => args[i] as Tensor);
    const first = T.gradients(outs, inputs, { gradOutputs: outs.map((_, k) => load(ups[k]!)), createGraph: true, allowUnused: true, materializeGrads: true });
    positions.forEach((i, k) => comparisons.push(compare(`grads[${i}]`, first[k]!, grads[i]!)));
    const s = directional(first, positions.map((i) => (vs[i] ? load(vs[i]!) : null)));
    const second = secondGrads(s, inputs);
    positions.forEach((i, k) => {
      if (hvps[i]) comparisons.push(compare(`hvp[${i}]`, second[k]!, hvps[i]!));
    });
    return comparisons;
  });
}

function gradientPenaltyCase(c: Record<string, unknown>, index: number): CaseResult {
  return guard(`higher[${index}] gradient_penalty`, () => {
    const p = Object.fromEntries(Object.entries(c.params as Record<string, FixtureTensor>).map(([k, v]) => [k, load(v, true)])) as Record<'w1' | 'b1' | 'w2' | 'b2', Tensor>;
    const x = load(c.x as FixtureTensor, true);
    const y = load(c.y as FixtureTensor);
    const lam = Number(c.lam);
    const logits = T.linear(T.tanh(T.linear(x, p.w1, p.b1)), p.w2, p.b2);
    const [gx] = T.gradients(T.crossEntropy(logits, y, { reduction: 'sum' }), [x], { createGraph: true });
    const penalty = T.mean(T.sum(T.square(gx!), 1));
    const loss = T.add(T.crossEntropy(logits, y), T.mul(penalty, lam));
    const names = Object.keys(c.grads as object) as (keyof typeof p)[];
    const got = T.gradients(loss, names.map((n) => p[n]));
    return [compare('loss', loss.item(), c.loss as number), ...names.map((n, k) => compare(`grads.${n}`, got[k]!, (c.grads as Record<string, FixtureTensor>)[n]!))];
  });
}

function recurrentHvpCase(c: Record<string, unknown>, index: number): CaseResult {
  return guard(`higher[${index}] recurrent_hvp ${String(c.cell)}`, () => {
    const rnn = makeRecurrent({ kind: c.cell, input_size: c.input, hidden_size: c.hidden, num_layers: 1, batch_first: true });
    const model = new SequenceClassifier(rnn, new Linear(Number(c.hidden), Number(c.classes), { dtype: precision() }));
    model.loadStateDict(Object.fromEntries(Object.entries(c.params as Record<string, FixtureTensor>).map(([k, v]) => [k, load(v)])));
    const named = model.namedParameters();
    const params = named.map(([, t]) => t);
    const loss = T.crossEntropy(model.forward(load(c.x as FixtureTensor)), load(c.y as FixtureTensor));
    const grads = T.gradients(loss, params, { createGraph: true });
    const v = c.v as Record<string, FixtureTensor>;
    const hvp = secondGrads(directional(grads, named.map(([n]) => (v[n] ? load(v[n]!) : null))), params);
    const comparisons: Comparison[] = [compare('loss', loss.item(), c.loss as number)];
    named.forEach(([n], k) => {
      const wantG = (c.grads as Record<string, FixtureTensor>)[n];
      const wantH = (c.hvp as Record<string, FixtureTensor>)[n];
      if (!wantG || !wantH) throw new Error(`the fixture has no gradient or hvp for parameter '${n}'`);
      comparisons.push(compare(`grads.${n}`, grads[k]!, wantG), compare(`hvp.${n}`, hvp[k]!, wantH));
    });
    return comparisons;
  });
}

export const higherSuite: Suite = {
  name: 'higher',
  file: 'higher.json',
  run: (fixture) =>
    casesOf(fixture, 'higher.json').map((c, index) => {
      if (c.kind === 'op') return opCase(c, index);
      if (c.kind === 'gradient_penalty') return gradientPenaltyCase(c, index);
      if (c.kind === 'recurrent_hvp') return recurrentHvpCase(c, index);
      return { name: `higher[${index}] ${String(c.kind)}`, comparisons: [], error: `unknown case kind '${String(c.kind)}'` };
    }),
};
