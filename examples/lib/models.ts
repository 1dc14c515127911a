/** The models the examples train: a recurrent layer whose last hidden state feeds a linear head. */
import type { Tensor } from '@tapegrad/autograd';
import { select } from '@tapegrad/autograd';
import type { RecurrentKind, RecurrentLayer } from '@tapegrad/nn';
import { GRU, LSTM, Linear, Module, RNN } from '@tapegrad/nn';
import type { Generator } from '@tapegrad/autograd';

export function makeRecurrent(kind: RecurrentKind, inputSize: number, hidden: number, generator: Generator): RecurrentLayer {
  const options = { batchFirst: true, generator };
  return kind === 'lstm' ? new LSTM(inputSize, hidden, options) : kind === 'gru' ? new GRU(inputSize, hidden, options) : new RNN(inputSize, hidden, options);
}

/** recurrent layer → h_T → Linear; `rnn.*` and `head.*` parameters, as PyTorch would name them. */
export class SequenceModel extends Module {
  readonly rnn: RecurrentLayer;
  readonly head: Linear;
  constructor(kind: RecurrentKind, inputSize: number, hidden: number, outputs: number, generator: Generator) {
    super();
    this.rnn = makeRecurrent(kind, inputSize, hidden, generator);
    this.head = new Linear(hidden, outputs, { generator });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(select(this.rnn.forward(x).out, 1, -1));
  }
}
