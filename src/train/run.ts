/**
 * One training run: the step loop from a (fresh or resumed) state to `config.steps`, the checkpoint cadence (through
 * an async handler: this module never writes files), periodic and final validation, and the final threshold
 * calibration of the head's primary anomaly score at `INLIER_TPR`. Progress goes out as typed events. `gmmseg train`,
 * the GMM-vs-softmax experiment and the benchmarks all train through {@link runTraining}.
 *
 * Data parallel (`group`): rank 0's state is broadcast and verified first, every step is the same on every rank
 * (`trainStep`), checkpoints are handed out on rank 0 only (the others wait at a barrier); validation and
 * calibration are sharded by rank and their counts reduced exactly (`eval-reduce.ts`: every rank gets the
 * single-process result); the refit runs on every rank (same model, same result). Image batches are prepared a step
 * ahead on a worker thread (`batch-pipeline.ts`) unless `prepareBatchesAhead` is false. With weight averaging, the
 * average of the run's tail replaces the weights after the last step, before the refit, the final validation and
 * checkpoint.
 */
import type { Dataset } from '../data/sample.js';
import { retainFreedMemory } from '../engine/engine.js';
import type { PredictOptions } from '../infer/predict.js';
import type { SegHead } from '../model/seg-model.js';
import type { FrozenEntry } from './batch.js';
import { calibratePrimary, type ScoreCalibration } from './calibration.js';
import { evaluateModel, type EvalResult } from './evaluate.js';
import { refitGmmHead, type RefitReport } from './refit-head.js';
import { buildFrozenCache } from './frozen-cache.js';
import { classPixelCounts, classWeightsFor } from './class-weights.js';
import { sampleIndices } from '../data/sample-indices.js';
import { createRng } from '../random.js';
import type { TrainConfig } from './train-config.js';
import type { Collective } from './data-parallel.js';
import { syncInitialState } from './sync-state.js';
import { BatchPipeline } from './batch-pipeline.js';
import { ValueError } from '../errors.js';
import {
  augmentOptionsOf,
  microPlan,
  nextMicro,
  trainStep,
  type StepLosses,
  type TrainData,
  type TrainState,
} from './trainer.js';
import { accumulateAverage, applyAverage, isAverageStep } from './weight-average.js';

/** Progress of a run. */
export type RunEvent =
  | { kind: 'cache'; done: number; total: number }
  | { kind: 'step'; head: SegHead['kind']; step: number; total: number; losses: StepLosses; seconds: number }
  | { kind: 'validation'; step: number; result: EvalResult }
  | { kind: 'refit'; done: number; total: number }
  /** The CE class weights computed from the training set (`config.classWeighting` other than 'none'). */
  | { kind: 'class-weights'; weights: readonly number[] };

/** Inputs of a run. */
export interface TrainRunOptions {
  /** The state to start from: step 0 for a new model, a checkpoint's step when resuming. Consumed. */
  state: TrainState;
  config: TrainConfig;
  train: Dataset;
  /** Validated every `config.validateEvery` steps and at the end (closed-set mIoU). */
  validation?: Dataset;
  /** Inlier images for the final threshold calibration. */
  calibration?: Dataset;
  /** How validation and calibration predict (default whole images). */
  predict?: PredictOptions;
  /** Frozen-backbone maps already computed (with `cacheFrozen`); built from `train` when absent. */
  frozen?: readonly FrozenEntry[];
  /**
   * [C] labelled pixels per class of `train`, already counted (an earlier run's `classCounts` with the same
   * `classWeightImages` and seed); counted from `train` when absent and the config weighs classes (one pass over every
   * training image, or over a seeded sample of `classWeightImages`).
   */
  classCounts?: Float64Array;
  /** Called every `config.checkpointEvery` steps and once at the end with the state to save. */
  onCheckpoint?: (state: TrainState) => Promise<void>;
  onEvent?: (e: RunEvent) => void;
  /** Data-parallel process group (every rank calls runTraining with the same options). */
  group?: Collective;
  /**
   * Prepare image batches ahead on a worker thread while the engine computes (`batch-pipeline.ts`; the same bytes as
   * building each when its step needs it). Default true; false builds every batch on the main thread.
   */
  prepareBatchesAhead?: boolean;
}

/** What a run produced. */
export interface TrainRunResult {
  state: TrainState;
  /** Loss of the last step (NaN when no step ran). */
  finalLoss: number;
  /** Wall time of the step loop (with checkpoints and periodic validation). */
  trainSeconds: number;
  /** The frozen maps used (for the next run on the same data and backbone). */
  frozen?: readonly FrozenEntry[];
  /** [C] the class pixel counts the class weights came from (for the next run on the same data). */
  classCounts?: Float64Array;
  /** Validation at the last step. */
  validation?: EvalResult;
  calibration?: ScoreCalibration;
  /** What the final refit of the mixtures did (GMM head with `refitPixelsPerClass` > 0). */
  refit?: RefitReport;
  /** The weight average that replaced the final weights (`weightAverageFromStep` > 0): snapshots, first/last step. */
  weightAverage?: { snapshots: number; fromStep: number; toStep: number };
}

/** Runs training to `config.steps`; TrainingDivergedError when the loss stops being finite. */
export async function runTraining(opts: TrainRunOptions): Promise<TrainRunResult> {
  retainFreedMemory(true);
  try {
    return await trainAndValidate(opts);
  } finally {
    retainFreedMemory(false);
  }
}

async function trainAndValidate(opts: TrainRunOptions): Promise<TrainRunResult> {
  const { config: cfg, train } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const cache = (): Promise<FrozenEntry[]> =>
    buildFrozenCache(opts.state.model.extractor, train, cfg.baseScale, (done, total) =>
      emit({ kind: 'cache', done, total }),
    );
  if (cfg.cacheFrozen && opts.frozen && opts.frozen.length !== train.length)
    throw new ValueError(
      `runTraining: frozen holds the maps of ${opts.frozen.length} images but the training set ${train.name} has ` +
        `${train.length}; frozen maps belong to one training set`,
    );
  const frozen = cfg.cacheFrozen ? (opts.frozen ?? (await cache())) : undefined;
  const sample = (): number[] => sampleIndices(train.length, cfg.classWeightImages, createRng(cfg.seed));
  const classCounts =
    cfg.classWeighting === 'none' ? undefined : (opts.classCounts ?? (await classPixelCounts(train, sample())));
  const classWeights = classCounts && classWeightsFor(cfg.classWeighting, cfg.classWeightOffset, classCounts);
  if (classWeights) emit({ kind: 'class-weights', weights: classWeights });
  const pipeline = !frozen && opts.prepareBatchesAhead !== false ? pipelineFor(opts) : undefined;
  try {
    const data = {
      dataset: train,
      ...(frozen ? { frozen } : {}),
      ...(classWeights ? { classWeights } : {}),
      ...(pipeline ? { batches: pipeline } : {}),
    };
    const result = await trainLoop(opts, data, frozen);
    return classCounts ? { ...result, classCounts } : result;
  } finally {
    await pipeline?.close();
  }
}

function pipelineFor(opts: TrainRunOptions): BatchPipeline {
  const { config: cfg, train, group } = opts;
  const micros = cfg.accumulateSteps * (group?.worldSize ?? 1);
  return new BatchPipeline(train, {
    plan: (k) => microPlan(cfg, k, micros, train.length),
    next: (k) => nextMicro(cfg, k, group?.rank ?? 0),
    augment: augmentOptionsOf(cfg),
  });
}

async function trainLoop(
  opts: TrainRunOptions,
  data: TrainData,
  frozen: readonly FrozenEntry[] | undefined,
): Promise<TrainRunResult> {
  const { config: cfg, train } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const predict = opts.predict ?? { mode: 'whole', scales: opts.config.predictScales, flip: opts.config.predictFlip };
  const head = opts.state.model.head.kind;
  const t0 = performance.now();
  let state = opts.state;
  const group = opts.group;
  if (group) syncInitialState(group, state);
  const checkpoint = async (s: TrainState): Promise<void> => {
    if (!opts.onCheckpoint) return;
    if (!group || group.rank === 0) await opts.onCheckpoint(s);
    group?.barrier();
  };
  let finalLoss = NaN;
  let validation: { step: number; result: EvalResult } | undefined;
  const validate = async (): Promise<EvalResult | undefined> => {
    if (!opts.validation) return undefined;
    if (validation?.step !== state.step) {
      validation = {
        step: state.step,
        result: await evaluateModel(state.model, opts.validation, predict, undefined, group),
      };
    }
    return validation.result;
  };
  while (state.step < cfg.steps) {
    const r = await trainStep(state, data, cfg, group);
    state = r.state;
    if (isAverageStep(state.step, cfg.weightAverageFromStep, cfg.weightAverageEvery))
      state = { ...state, average: accumulateAverage(state.average, state.model, state.step) };
    finalLoss = r.losses.loss;
    const seconds = (performance.now() - t0) / 1000;
    emit({ kind: 'step', head, step: state.step, total: cfg.steps, losses: r.losses, seconds });
    const every = (n: number): boolean => n > 0 && state.step % n === 0;
    if (every(cfg.checkpointEvery)) await checkpoint(state);
    if (opts.validation && every(cfg.validateEvery)) {
      emit({ kind: 'validation', step: state.step, result: (await validate()) as EvalResult });
    }
  }
  let averaged: TrainRunResult['weightAverage'];
  if (state.average) {
    const { average, ...rest } = state;
    state = rest;
    if (cfg.weightAverageFromStep > 0) {
      averaged = { snapshots: average.count, fromStep: average.fromStep, toStep: average.toStep };
      state = { ...state, model: applyAverage(state.model, average) };
      validation = undefined; // a validation of the last step's weights no longer describes the model
    } else Object.values(average.tensors).forEach((t) => t.dispose()); // averaging turned off on resume
  }
  let refit: RefitReport | undefined;
  if (cfg.refitPixelsPerClass > 0 && head === 'gmm') {
    const r = await refitGmmHead(state.model, train, {
      perClass: cfg.refitPixelsPerClass,
      maxImages: cfg.refitImages,
      iterations: cfg.refitIterations,
      stdFloorVariance: cfg.refitStdFloorVariance,
      seed: cfg.seed,
      onProgress: (done, total) => emit({ kind: 'refit', done, total }),
    });
    state = { ...state, model: r.model };
    refit = r.report;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const out: TrainRunResult = { state, finalLoss, trainSeconds };
  if (refit) out.refit = refit;
  if (averaged) out.weightAverage = averaged;
  if (frozen) out.frozen = frozen;
  const finalValidation = await validate();
  if (finalValidation) out.validation = finalValidation;
  if (opts.calibration) out.calibration = await calibratePrimary(state.model, opts.calibration, predict, group);
  await checkpoint(state);
  return out;
}
