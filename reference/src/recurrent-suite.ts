/**
 * recurrent.json: a layer's parameters by PyTorch name, the input and
 * initial states, the outputs and the gradients of sum(out·u_out) +
 * sum(hn·u_hn) + sum(cn·u_cn) for the input, the initial states and every
 * parameter.
 */
import type { Tensor } from '@tapegrad/autograd';
import { gradients } from '@tapegrad/autograd';
import type { RecurrentLayer } from '@tapegrad/nn';
import { GRU, LSTM, RNN } from '@tapegrad/nn';
import type { Comparison, FixtureTensor } from './fixture.js';
import { compare, load } from './fixture.js';
import { precision } from './precision.js';
import type { Suite } from './suite.js';
import { casesOf, guard } from './suite.js';

/** Builds RNN/LSTM/GRU from a fixture description, in float64. */
export function makeRecurrent(c: Record<string, unknown>): RecurrentLayer {
  const kind = String(c.kind).toLowerCase();
  const options = {
    numLayers: Number(c.num_layers ?? 1),
    bidirectional: Boolean(c.bidirectional),
    batchFirst: Boolean(c.batch_first),
    bias: c.bias === undefined ? true : Boolean(c.bias),
    dtype: precision(),
  };
  const inputSize = Number(c.input_size), hiddenSize = Number(c.hidden_size);
  if (kind === 'rnn') return new RNN(inputSize, hiddenSize, { ...options, nonlinearity: (c.nonlinearity as 'tanh' | 'relu' | null) ?? 'tanh' });
  if (kind === 'lstm') return new LSTM(inputSize, hiddenSize, options);
  if (kind === 'gru') return new GRU(inputSize, hiddenSize, options);
  throw new Error(`unsupported recurrent kind '${String(c.kind)}'`);
}

export const recurrentSuite: Suite = {
  name: 'recurrent',
  file: 'recurrent.json',
  run: (fixture) =>
    casesOf(fixture, 'recurrent.json').map((c, index) =>
      guard(`recurrent[${index}] ${String(c.kind)} layers=${String(c.num_layers)}${c.bidirectional ? ' bidirectional' : ''}`, () => {
        const layer = makeRecurrent(c);
        const params = c.params as Record<string, FixtureTensor>;
        layer.loadStateDict(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, load(v)])));
        const x = load(c.x as FixtureTensor, true);
        const h0 = c.h0 ? load(c.h0 as FixtureTensor, true) : null;
        const c0 = c.c0 ? load(c.c0 as FixtureTensor, true) : null;
        const res = layer.forward(x, { h0, c0 });
        const comparisons: Comparison[] = [compare('out', res.out, c.out as FixtureTensor), compare('hn', res.hn, c.hn as FixtureTensor)];
        if (c.cn) comparisons.push(compare('cn', res.cn, c.cn as FixtureTensor));
        const up = c.upstream as Record<string, FixtureTensor | null>;
        const outs: Tensor[] = [], seeds: Tensor[] = [];
        for (const [key, t] of [['out', res.out], ['hn', res.hn], ['cn', res.cn]] as const) {
          if (up[key] && t) {
            outs.push(t);
            seeds.push(load(up[key]!));
          }
        }
        const wanted = c.grads as Record<string, FixtureTensor | null>;
        const named = new Map(layer.namedParameters());
        const inputs: [string, Tensor][] = [];
        for (const [key, want] of Object.entries(wanted)) {
          if (!want) continue;
          const t = key === 'x' ? x : key === 'h0' ? h0 : key === 'c0' ? c0 : key.startsWith('params.') ? named.get(key.slice(7)) : undefined;
          if (!t) throw new Error(`gradient expected for '${key}', which the layer does not have`);
          inputs.push([key, t]);
        }
        const grads = gradients(outs, inputs.map(([, t]) => t), { gradOutputs: seeds });
        inputs.forEach(([key], i) => comparisons.push(compare(`grads.${key}`, grads[i], wanted[key]!)));
        return comparisons;
      }),
    ),
};
