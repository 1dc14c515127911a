/**
 * The LSTM training steps of issue 3, built identically on both sides:
 * input I, hidden H, sequence S, batch B; LSTM → Linear(H→10) on the last
 * hidden state → softmax cross-entropy → global-norm clip at 1.0 → Adam.
 * The tfjs twin is in workloads-tfjs.ts, so a process measuring tapegrad
 * (the peak-RSS child) never loads tfjs.
 */
import * as T from '@tapegrad/autograd';
import { LSTM, Linear } from '@tapegrad/nn';
import { Adam, clipByGlobalNorm } from '@tapegrad/optim';

export interface Workload {
  name: string;
  I: number;
  H: number;
  S: number;
  B: number;
}
export const W2: Workload = { name: 'W2', I: 28, H: 128, S: 28, B: 64 };
export const W3: Workload = { name: 'W3', I: 28, H: 64, S: 200, B: 16 };

/** A tapegrad training step for the workload; returns the step function and the parameters. */
export function tapegradStep(w: Workload): { step: () => number; params: T.Tensor[] } {
  const gen = new T.Generator(1);
  const lstm = new LSTM(w.I, w.H, { batchFirst: true, generator: gen });
  const head = new Linear(w.H, 10, { generator: gen });
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 1e-3, clip: clipByGlobalNorm(1) });
  const x = T.randn([w.B, w.S, w.I], { generator: gen });
  const y = T.randint(0, 10, [w.B], { generator: gen });
  const step = () => {
    opt.zeroGrad();
    const loss = T.crossEntropy(head.forward(T.select(lstm.forward(x).out, 1, -1)), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  return { step, params };
}
