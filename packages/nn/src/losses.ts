/**
 * Losses: the functional forms live in @tapegrad/autograd (one definition
 * each) and are re-exported here; the classes wrap them as modules with
 * their options fixed, like torch.nn.CrossEntropyLoss.
 */
import type { ClassLossOptions, Reduction, Tensor } from '@tapegrad/autograd';
import { bceWithLogits, checkOptions, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss } from '@tapegrad/autograd';
import { Module } from './module.js';

export { bceWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss };
export type { ClassLossOptions, Reduction };

/** Module form of crossEntropy (options fixed at construction). */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: ClassLossOptions & { labelSmoothing?: number } = {}) {
    super();
    checkOptions('CrossEntropyLoss', options, ['reduction', 'ignoreIndex', 'weight', 'labelSmoothing']);
  }
  forward(logits: Tensor, target: Tensor): Tensor {
    return crossEntropy(logits, target, this.options);
  }
}
/** Module form of nllLoss. */
export class NLLLoss extends Module {
  constructor(readonly options: ClassLossOptions = {}) {
    super();
    checkOptions('NLLLoss', options, ['reduction', 'ignoreIndex', 'weight']);
  }
  forward(logProbs: Tensor, target: Tensor): Tensor {
    return nllLoss(logProbs, target, this.options);
  }
}
/** Module form of mseLoss. */
export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    checkOptions('MSELoss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}
/** Module form of l1Loss. */
export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    checkOptions('L1Loss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}
/** Module form of smoothL1Loss. */
export class SmoothL1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {
    super();
    checkOptions('SmoothL1Loss', options, ['reduction', 'beta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}
/** Module form of huberLoss. */
export class HuberLoss extends Module {
  constructor(readonly options: { reduction?: Reduction; delta?: number } = {}) {
    super();
    checkOptions('HuberLoss', options, ['reduction', 'delta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, this.options);
  }
}
/** Module form of bceWithLogits. */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly options: { reduction?: Reduction; weight?: Tensor; posWeight?: Tensor } = {}) {
    super();
    checkOptions('BCEWithLogitsLoss', options, ['reduction', 'weight', 'posWeight']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, this.options);
  }
}
