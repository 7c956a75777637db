// The model core's public API: cells, stacked model, state arena, batched online step, tfjs-layers
// format; and, re-exported from ../training, what creating and training a model needs.

export type { Kernels } from './kernels/kernels.js';
export { portableKernels } from './kernels/portable.js';
export { fastestKernels, type KernelsChoice } from './kernels/fastest-kernels.js';
export { nativeKernels } from './kernels/native-kernels.js';
export type { ActivationName, CellConfig, CellKind, GateActivationName, Param, RecurrentCell } from './cell-config.js';
export { ElmanCell } from './elman-cell.js';
export { LstmCell } from './lstm-cell.js';
export { GruCell } from './gru-cell.js';
export { StackedModel, createCell, layerUnits, type LayerStateLayout, type ModelConfig } from './stacked-model.js';
export { StateArena } from './state-arena.js';
export { BatchedStepper } from './batched-stepper.js';
export { fastStepSpec } from './fast-step-spec.js';
export { cellWeights, modelWeights, type NamedWeight } from './keras-weights.js';
export { PEEPHOLE_CLASS, fromArtifacts, fromTfjs, toTfjs, type LoadOptions, type TfjsModelJson } from './tfjs-format.js';
export { fileIOHandler, loadTfjsModel, saveTfjsModel } from './tfjs-file-io.js';
export { selectTfjsBackend, type TfjsBackendName } from './tfjs-backend.js';

export { initialiseWeights } from '../training/init.js';
export { Prng } from '../training/prng.js';
export { SequenceRunner } from '../training/sequence.js';
export { TbpttTrainer, evaluateLoss, type SequenceBatch, type TbpttOptions, type TbpttReport } from '../training/tbptt.js';
export { gaussianNllLoss, mseLoss, type LossName } from '../training/losses.js';
export { clipByGlobalNorm, clipByValue, globalGradNorm } from '../training/clip.js';
export { Adam, Sgd, type Optimiser } from '../training/optimisers.js';
export { generate, type GenerateOptions } from '../training/generate.js';
export { seriesToBatch } from '../training/targets.js';
