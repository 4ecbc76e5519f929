/**
 * A GMM-vs-softmax experiment on one frozen-or-trainable extractor: train each head (same extractor architecture and
 * decoder initialisation), evaluate closed-set and anomaly metrics, calibrate the anomaly threshold on inlier
 * validation pixels. Used by `gmmseg demo` and `npm run bench:camvid`. No I/O: events go to a callback.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/sample.js';
import { ValueError } from '../errors.js';
import type { GmmConfig } from '../gmm/config.js';
import type { PredictOptions } from '../infer/predict.js';
import { createSegModel, type ExtractorSpec } from '../model/create-seg-model.js';
import type { SegHead, SegModel } from '../model/seg-model.js';
import { createRng } from '../random.js';
import { createAdamWState } from './adamw.js';
import type { FrozenEntry } from './batch.js';
import type { ScoreCalibration } from './calibration.js';
import { evaluateSets, type EvalResult } from './evaluate.js';
import { runTraining } from './run.js';
import type { TrainConfig } from './train-config.js';
import type { StepLosses } from './trainer.js';

export type HeadKind = SegHead['kind'];

/** Progress events. */
export type ExperimentEvent =
  | { kind: 'cache'; done: number; total: number }
  | { kind: 'refit'; done: number; total: number }
  | { kind: 'step'; head: HeadKind; step: number; total: number; losses: StepLosses }
  | { kind: 'eval'; head: HeadKind; dataset: string; done: number; total: number };

/** Inputs of an experiment. */
export interface ExperimentOptions {
  classes: readonly string[];
  train: Dataset;
  closedTest: Dataset;
  anomalyTest: Dataset;
  /** Inlier validation images for the threshold (their valid pixels are inliers). */
  calibration: Dataset;
  /** The extractor; each head gets one built from the same seed, so both start identical. */
  extractor: ExtractorSpec;
  trainConfig: TrainConfig;
  /** GMM config overrides (classes and embedDim are set from the data and the extractor). */
  gmm: Partial<GmmConfig>;
  heads: readonly HeadKind[];
  /**
   * Each head after the first starts from the previous head's trained extractor (its weights and batch-norm
   * statistics copied into the new model) instead of a fresh one: a head trained on features another head taught.
   */
  warmStart?: boolean;
  /** Per-head training configs (default: `trainConfig`). */
  headTrainConfigs?: Partial<Record<HeadKind, TrainConfig>>;
  predict: PredictOptions;
  onEvent?: (e: ExperimentEvent) => void;
}

/** One head's outcome. */
export interface HeadOutcome {
  head: HeadKind;
  model: SegModel;
  closedSet: EvalResult;
  anomaly: EvalResult;
  /** Threshold of the head's primary anomaly score (GMM: 'gmm', softmax: 'msp'). */
  calibration: ScoreCalibration;
  trainSeconds: number;
  finalLoss: number;
}

/** Runs the experiment for every requested head, in order. */
export async function runExperiment(opts: ExperimentOptions): Promise<HeadOutcome[]> {
  const emit = opts.onEvent ?? (() => undefined);
  const out: HeadOutcome[] = [];
  let frozen: readonly FrozenEntry[] | undefined;
  // the training set's label histogram, counted once for every head that samples the same images
  let counted: { images: string; counts: Float64Array } | undefined;
  for (const head of opts.heads) {
    const rng = createRng(opts.trainConfig.seed);
    const headSpec = head === 'gmm' ? { kind: head, gmm: opts.gmm } : { kind: head };
    const config = opts.headTrainConfigs?.[head] ?? opts.trainConfig;
    const aux = config.auxLossWeight > 0;
    const model = await createSegModel({ classes: opts.classes, extractor: opts.extractor, head: headSpec, aux }, rng);
    const previous = out[out.length - 1];
    if (opts.warmStart && previous) copyExtractor(previous.model, model);
    const run = await runTraining({
      state: { step: 0, model, optimizer: createAdamWState() },
      config,
      train: opts.train,
      calibration: opts.calibration,
      predict: opts.predict,
      ...(frozen ? { frozen } : {}),
      ...(counted?.images === countedImages(config) ? { classCounts: counted.counts } : {}),
      onEvent: (e) => {
        if (e.kind !== 'validation' && e.kind !== 'class-weights') emit(e);
      },
    });
    frozen = run.frozen;
    if (run.classCounts) counted = { images: countedImages(config), counts: run.classCounts };
    const evalName = `${opts.closedTest.name} + ${opts.anomalyTest.name}`;
    const sets = await evaluateSets(
      run.state.model,
      { closedSet: opts.closedTest, anomaly: opts.anomalyTest },
      opts.predict,
      { onProgress: (done, total) => emit({ kind: 'eval', head, dataset: evalName, done, total }) },
    );
    const closedSet = sets.closedSet as EvalResult;
    const anomaly = sets.anomaly as EvalResult;
    const calibration = run.calibration as ScoreCalibration;
    const { trainSeconds, finalLoss } = run;
    out.push({ head, model: run.state.model, closedSet, anomaly, calibration, trainSeconds, finalLoss });
  }
  return out;
}

/** Which training images a config's class counts come from (every image, or a seeded sample). */
function countedImages(config: TrainConfig): string {
  return config.classWeightImages === 0 ? 'all' : `${config.classWeightImages}@${config.seed}`;
}

/** Copies `from`'s extractor parameters and batch-norm state into `to`'s (same architecture; ValueError otherwise). */
export function copyExtractor(from: SegModel, to: SegModel): void {
  const pairs: [Record<string, tf.Tensor>, Record<string, tf.Tensor>][] = [
    [from.extractor.params, to.extractor.params],
    [from.extractor.state, to.extractor.state],
  ];
  for (const [src, dst] of pairs) {
    for (const [name, t] of Object.entries(dst)) {
      const s = src[name];
      if (!s || s.shape.join() !== t.shape.join())
        throw new ValueError(`warmStart: extractor tensor '${name}' differs`);
      if (t instanceof tf.Variable) t.assign(s);
      else {
        const copy = tf.clone(s);
        t.dispose();
        dst[name] = copy;
      }
    }
  }
}
