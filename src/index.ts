/**
 * gmmseg public API: named exports only, no side effects on import (call `initEngine` before tensor work).
 */
export {
  initEngine,
  currentEngine,
  parseEngineName,
  ENGINES,
  defaultEngine,
  engineSummary,
  ENGINE_ENV_VAR,
  type EngineName,
} from './engine/engine.js';
export { GmmsegError, ShapeError, ValueError, FormatError, EngineError } from './errors.js';
export { createRng, cloneRng, uniform, normal, randInt, shuffle, type Rng } from './random.js';
export { makeGmmConfig, DEFAULT_GMM_CONFIG, gmmConfigSchema, slotIndex, type GmmConfig } from './gmm/config.js';
export { layerNorm } from './gmm/layer-norm.js';
export { embedFeatures, l2NormalizeRows, normalizeRowsArray } from './gmm/embed.js';
export {
  densityMatrix,
  densityTensors,
  disposeDensityTensors,
  componentLogDensity,
  type DensityMatrix,
  type DensityTensors,
} from './gmm/log-density.js';
export {
  maxOverComponents,
  mixtureLogLikelihood,
  classScores,
  classScoresChunked,
  type ClassScoreKind,
} from './gmm/class-scores.js';
export { sinkhornLogPlan, sinkhornAssign, type SinkhornOptions } from './gmm/sinkhorn.js';
export {
  createMemory,
  createQueueMemory,
  queueFromBuffers,
  flattenQueue,
  linspaceIndices,
  pushRows,
  slotMoments,
  type ComponentMemory,
  type QueueMemory,
} from './gmm/memory.js';
export { createRunningMemory, type RunningMemory } from './gmm/running-stats.js';
export { mStep, type MStepOptions } from './gmm/m-step.js';
export { componentTargets, enqueueRows, type ComponentTargets } from './gmm/targets.js';
export { segmentationLoss, contrastLoss, type SegLossReduction } from './gmm/losses.js';
export { nearestResizeLabels, nearestSourceIndex, checkLabels, presentClasses } from './gmm/labels.js';
export {
  createHeadState,
  makeNorms,
  disposeNorms,
  headForward,
  anomalyScore,
  type GmmParams,
  type HeadNorms,
  type HeadModel,
  type HeadState,
  type HeadOutputs,
} from './gmm/head.js';
export { headTrainStep, type HeadBatch, type HeadStepOptions, type HeadStepResult } from './gmm/train-step.js';
export { encodeModel, decodeModel, decodeHeader, FORMAT_VERSION, FILE_EXTENSION } from './model/format.js';
export type { ModelFile, ModelHeader, NamedTensor, TensorDType } from './model/model-types.js';
export {
  headTensors,
  headFromModel,
  headStateFromModel,
  headModelFile,
  gmmConfigFromModel,
  assertCompatible,
} from './model/head-model.js';
export type { ModelFile as SegModelFile } from './model/model-types.js';
export {
  segModelToFile,
  segModelFromFile,
  modelSections,
  modelConfig,
  preprocessingRecord,
  EXTRACTOR_LOADERS,
  type ExtractorLoader,
  type LoadedSegModel,
  type SaveOptions,
  type OptimizerSnapshot,
  type CheckpointState,
} from './model/seg-model-file.js';
export {
  calibrationSchema,
  preprocessingSchema,
  modelConfigSchema,
  parseModelConfig,
  type CalibrationRecord,
  type PreprocessingRecord,
  type ModelConfig,
  type ModelSections,
} from './model/sections.js';
export { createSegModel, type SegModelSpec, type HeadSpec, type ExtractorSpec } from './model/create-seg-model.js';
export {
  segForward,
  headOutputs,
  headVariables,
  primaryScore,
  type SegModel,
  type SegHead,
  type SegOutputs,
} from './model/seg-model.js';
export {
  EXTRACTOR_FAMILIES,
  extractorFamily,
  extractorSettings,
  createExtractor,
  type ExtractorFamily,
  type ExtractorSettings,
} from './nn/registry.js';
export type { Extractor, ForwardContext, Params } from './nn/types.js';
export { createMbv3Extractor, loadMbv3Extractor } from './nn/mbv3-extractor.js';
export { createDeeplabExtractor, loadDeeplabExtractor } from './nn/deeplab.js';
export { createSegformerExtractor, loadSegformerExtractor } from './nn/segformer.js';
export { createGraphExtractor, loadGraphExtractor } from './nn/graph-extractor.js';
export {
  createSoftmaxHead,
  loadSoftmaxHead,
  softmaxHeadLogits,
  mspScore,
  maxLogitScore,
  energyScore,
  type SoftmaxHead,
} from './nn/softmax-head.js';
export { makeTrainConfig, DEFAULT_TRAIN_CONFIG, type TrainConfig } from './train/train-config.js';
export {
  trainStep,
  trainableVariables,
  TrainingDivergedError,
  type TrainState,
  type TrainData,
  type StepLosses,
} from './train/trainer.js';
export { createAdamWState, adamwStep, type AdamWState } from './train/adamw.js';
export { polyLr, type PolySchedule } from './train/schedule.js';
export { buildFrozenCache } from './train/frozen-cache.js';
export { evaluateModel, evaluateSets, type EvalResult, type EvalSets } from './train/evaluate.js';
export { TieStream } from './metrics/tie-stream.js';
export { runExperiment, type HeadOutcome, type ExperimentOptions, type ExperimentEvent } from './train/experiment.js';
export { runTraining, type TrainRunOptions, type TrainRunResult, type RunEvent } from './train/run.js';
export { calibrate, calibratePrimary, calibrationRecord, type ScoreCalibration } from './train/calibration.js';
export { checkpointFile, resumeFromCheckpoint } from './train/checkpoint.js';
export { predictImage, type Prediction, type PredictOptions, type AnomalyScoreName } from './infer/predict.js';
export { calibrateOnInliers, thresholdAtTpr } from './infer/calibrate.js';
export { heatmap, scaleFromCalibration, thresholdMask } from './infer/heatmap.js';
export { colorizeLabels, paletteFor } from './infer/palette.js';
export { DATASET_PALETTES } from './data/palettes.js';
export { overlay, outlineMask, sideBySide } from './infer/overlay.js';
export { createConfusion, accumulateConfusion, mergeConfusion, type Confusion } from './metrics/confusion.js';
export { segmentationMetrics, type SegmentationMetrics } from './metrics/segmentation.js';
export {
  anomalyMetricsExact,
  tieTable,
  mergeTieTables,
  metricsFromTieTable,
  type AnomalyMetrics,
  type TieTable,
} from './metrics/ranking.js';
export { createHistogram, accumulateHistogram, mergeHistograms, binnedMetrics } from './metrics/binned.js';
export { IGNORE_INDEX, type Sample, type Dataset, type RgbImage, type LabelMap } from './data/sample.js';
export { buildDigitScenes, DIGIT_SCENES_CLASSES } from './data/digit-scenes.js';
export { openCamVid } from './data/camvid.js';
export { openCamVidAnomaly, buildCamVidAnomaly } from './data/camvid-anomaly.js';
export { openCityscapes } from './data/cityscapes.js';
export { openAde20k } from './data/ade20k.js';
export { openVoc } from './data/voc.js';
export { openRoadAnomaly } from './data/road-anomaly.js';
export { openFishyscapes } from './data/fishyscapes.js';
export { openSmiyc } from './data/smiyc.js';
export { openFolder } from './data/folder.js';
export { parseNpy, encodeNpy } from './data/npy.js';
export { augmentSample, type AugmentOptions } from './data/augment.js';
