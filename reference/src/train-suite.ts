/**
 * train.json: whole training runs. recurrent layer (batch_first, 1 layer) →
 * last time step → Linear → cross-entropy (mean); each step zero grads,
 * forward, backward, clip, optimizer step — through the public nn and optim
 * APIs, with the clip plugged into the optimizer. Compares every loss, the
 * total norm the global-norm clip saw, and the final weights (rtol 1e-7).
 */
import type { Tensor } from '@tapegrad/autograd';
import { crossEntropy, select } from '@tapegrad/autograd';
import type { RecurrentLayer } from '@tapegrad/nn';
import { Linear, Module } from '@tapegrad/nn';
import type { Comparison, FixtureTensor } from './fixture.js';
import { precision, tolerance } from './precision.js';
import { compare, load } from './fixture.js';
import { transformFor } from './clip-suite.js';
import { makeOptimizer } from './optim-suite.js';
import { makeRecurrent } from './recurrent-suite.js';
import type { Suite } from './suite.js';
import { casesOf, guard } from './suite.js';



/** The fixture's model: named rnn and head, as PyTorch names them. */
export class SequenceClassifier extends Module {
  constructor(readonly rnn: RecurrentLayer, readonly head: Linear) {
    super();
  }
  forward(x: Tensor): Tensor {
    const { out } = this.rnn.forward(x);
    return this.head.forward(select(out, 1, -1));
  }
}

export const trainSuite: Suite = {
  name: 'train',
  file: 'train.json',
  run: (fixture) =>
    casesOf(fixture, 'train.json').map((c, index) => {
      const m = c.model as Record<string, unknown>;
      return guard(`train[${index}] ${String(m.kind)} ${String(c.optimizer)} ${JSON.stringify(c.clip)}`, () => {
        const rnn = makeRecurrent({ ...m, num_layers: m.num_layers ?? 1, batch_first: m.batch_first ?? true });
        // The head reads the last time step of `out`: hidden_size features per direction.
        const features = Number(m.hidden_size) * (m.bidirectional ? 2 : 1);
        const model = new SequenceClassifier(rnn, new Linear(features, Number(m.classes), { dtype: precision() }));
        model.loadStateDict(Object.fromEntries(Object.entries(c.init as Record<string, FixtureTensor>).map(([k, v]) => [k, load(v)])));
        const clip = c.clip ? transformFor(c.clip as Record<string, unknown>) : null;
        const opt = makeOptimizer(String(c.optimizer), model.namedParameters(), c.hyper as Record<string, unknown>, { clip });
        const x = load(c.x as FixtureTensor);
        const y = load(c.y as FixtureTensor);
        const wantLosses = c.losses as number[];
        const wantNorms = (c.total_norms_before_clip as number[] | undefined) ?? [];
        const comparisons: Comparison[] = [];
        wantLosses.forEach((want, step) => {
          opt.zeroGrad();
          const loss = crossEntropy(model.forward(x), y);
          comparisons.push(compare(`loss[${step}]`, loss.item(), want, tolerance('train')));
          loss.backward();
          const report = opt.step();
          if (step < wantNorms.length) comparisons.push(compare(`total_norm[${step}]`, report.groups[0]!.normBefore, wantNorms[step]!, tolerance('train')));
        });
        const named = new Map(model.namedParameters());
        for (const [k, want] of Object.entries(c.final as Record<string, FixtureTensor>)) comparisons.push(compare(`final.${k}`, named.get(k) ?? null, want, tolerance('train')));
        return comparisons;
      });
    }),
};
