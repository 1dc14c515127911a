/** The messages between the page and the training worker, and the run configuration. */

export type TaskName = 'temporal-order' | 'addition' | 'cliff' | 'sine';
export type CellName = 'rnn' | 'lstm' | 'gru';
export type RuleName = 'none' | 'clipByValue' | 'clipByNorm' | 'clipByGlobalNorm' | 'adaptiveGradClip' | 'autoClip' | 'zClip';

/** Everything that defines a run; the same config and seed give the same run. */
export interface RunConfig {
  task: TaskName;
  cell: CellName;
  hidden: number;
  length: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  /** SGD's momentum (ignored by Adam). */
  momentum: number;
  rule: RuleName;
  /** The rule's threshold (value bound, norm, AGC ratio, AutoClip percentile or ZClip z). */
  threshold: number;
  seed: number;
}

/** One step as the charts need it (the GradientMonitor's numbers plus the shadows'). */
export interface StepPoint {
  step: number;
  loss: number;
  normBefore: number;
  normAfter: number;
  clipped: boolean;
  threshold: number | null;
  rule: string;
  shadow: { name: string; normAfter: number; clipped: boolean }[];
  params: { name: string; normBefore: number; normAfter: number; scale: number; clipped: boolean }[];
  /** Cliff task only: the two parameters after the step. */
  wb?: [number, number];
}

export type ToWorker =
  | { type: 'reset'; config: RunConfig }
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'setRule'; rule: RuleName; threshold: number }
  | { type: 'export' };

export type FromWorker =
  | { type: 'ready'; backend: string; threads: { count: number; available: boolean; reason?: string }; config: RunConfig; surface?: { values: number[][]; ws: number[]; bs: number[] } }
  | { type: 'steps'; points: StepPoint[]; stepsPerSecond: number }
  | { type: 'strip'; step: number; norms: number[] }
  | { type: 'exported'; jsonl: string; csv: string; safetensors: Uint8Array }
  | { type: 'error'; message: string };
