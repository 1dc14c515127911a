/**
 * @tapegrad/nn — modules, recurrent layers, losses, init and safetensors
 * checkpoints, with PyTorch names, layouts and defaults.
 */
export { Module } from './module.js';
export { Parameter } from './parameter.js';
export { Linear, Embedding, Dropout, Sequential, Identity, LayerNorm, Tanh, ReLU, Sigmoid, GELU, LeakyReLU, ELU, Softplus, dropout, emptyParameter } from './layers.js';
export type { LayerOptions, Layer } from './layers.js';
export { RecurrentLayer, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './recurrent/layers.js';
export type { RecurrentKind, RecurrentOptions, RecurrentState, RecurrentForwardOptions, RecurrentOutput } from './recurrent/layers.js';
export { rnnStep, lstmStep, gruStep } from './recurrent/steps.js';
export { carryState, timeChunks } from './recurrent/tbptt.js';
export * as init from './init.js';
export type { InitOptions, KaimingOptions } from './init.js';
export * from './losses.js';
export { serializeSafetensors, parseSafetensors, CheckpointError } from './safetensors.js';
export type { ParsedSafetensors } from './safetensors.js';
export { saveSafetensors, loadSafetensors, saveCheckpoint, loadCheckpoint, writeFileAtomic } from './checkpoint.js';
export { TensorDataset, DataLoader, defaultCollate } from './data.js';
export type { Dataset, DataLoaderOptions, SampleValue } from './data.js';
export { accuracy, confusionMatrix, RunningMean } from './metrics.js';
export { summary } from './summary.js';
export type { ModelSummary, SummaryRow } from './summary.js';
