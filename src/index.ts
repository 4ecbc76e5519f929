/**
 * gmmseg public API: named exports only, no side effects on import (call `initEngine` before tensor work).
 */
export { initEngine, currentEngine, parseEngineName, ENGINES, DEFAULT_ENGINE, ENGINE_ENV_VAR, type EngineName } from './engine/engine.js';
export { GmmsegError, ShapeError, ValueError, FormatError, EngineError } from './errors.js';
export { createRng, cloneRng, uniform, normal, randInt, shuffle, type Rng } from './random.js';
export { makeGmmConfig, DEFAULT_GMM_CONFIG, gmmConfigSchema, slotIndex, type GmmConfig } from './gmm/config.js';
export { layerNorm } from './gmm/layer-norm.js';
export { embedFeatures, l2NormalizeRows, normalizeRowsArray } from './gmm/embed.js';
export { densityMatrix, densityTensors, disposeDensityTensors, componentLogDensity, type DensityMatrix, type DensityTensors } from './gmm/log-density.js';
export { maxOverComponents, mixtureLogLikelihood, classScores, classScoresChunked, type ClassScoreKind } from './gmm/class-scores.js';
export { sinkhornLogPlan, sinkhornAssign, type SinkhornOptions } from './gmm/sinkhorn.js';
export { createMemory, createQueueMemory, queueFromBuffers, flattenQueue, linspaceIndices, pushRows, slotMoments, type ComponentMemory, type QueueMemory } from './gmm/memory.js';
export { createRunningMemory, type RunningMemory } from './gmm/running-stats.js';
export { mStep, type MStepOptions } from './gmm/m-step.js';
export { componentTargets, enqueueRows, type ComponentTargets } from './gmm/targets.js';
export { segmentationLoss, contrastLoss, type SegLossReduction } from './gmm/losses.js';
export { nearestResizeLabels, nearestSourceIndex, checkLabels, presentClasses } from './gmm/labels.js';
export { createHeadState, makeNorms, disposeNorms, headForward, anomalyScore, type GmmParams, type HeadNorms, type HeadModel, type HeadState, type HeadOutputs } from './gmm/head.js';
export { headTrainStep, type HeadBatch, type HeadStepOptions, type HeadStepResult } from './gmm/train-step.js';
export { encodeModel, decodeModel, decodeHeader, FORMAT_VERSION, FILE_EXTENSION } from './model/format.js';
export type { ModelFile, ModelHeader, NamedTensor, TensorDType } from './model/model-types.js';
export { headTensors, headFromModel, headStateFromModel, headModelFile, gmmConfigFromModel, assertCompatible } from './model/head-model.js';
