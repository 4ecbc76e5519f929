/**
 * `gmmseg demo [--quick] [--out DIR]`: on the embedded DigitScenes set (MNIST digits on textured backgrounds,
 * Fashion-MNIST items as anomalies), trains the softmax baseline with a from-scratch U-Net, then the GMM head end to
 * end from that U-Net (warm start), evaluates closed-set mIoU and anomaly AP/FPR95/AUROC of both, and writes
 * `gmm.gmmseg`, `softmax.gmmseg`, the report (JSON + Markdown), ROC/PR curves and example pictures into DIR.
 */
import { Command } from 'commander';
import { buildDigitScenes } from '../data/digit-scenes.js';
import { engineSummary, machineSummary } from '../engine/engine.js';
import type { GmmConfig } from '../gmm/config.js';
import { summaryTable } from '../report/experiment.js';
import { runExperiment, type HeadOutcome } from '../train/experiment.js';
import { makeTrainConfig, type TrainConfig } from '../train/train-config.js';
import type { PredictOptions } from '../infer/predict.js';
import { writeExperimentOutputs } from './experiment-output.js';
import { processIo, runUserCommand, startEngine, type CommandIo } from './command-io.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { DEMO_OPTIONS, ENGINE_OPTIONS } from './options.js';
import { createProgress } from './progress.js';
import { prepareOutputFolder } from './output-paths.js';

/** Every flag of `gmmseg demo`. */
const DEMO_TABLE = { ...DEMO_OPTIONS, ...ENGINE_OPTIONS };

/** Demo options: the typed flag values. */
export type DemoOptions = OptionValues<typeof DEMO_TABLE>;

/**
 * The demo's budgets (README "What the demo does"): the softmax head trains the from-scratch U-Net for `steps` steps
 * (ENet class weights: digits are 1–2 % of the pixels each, and without weights the net stays on the
 * "digit vs background" plateau for over a thousand steps), then the GMM head continues end to end from that
 * U-Net for a sixth as many steps at 1.5× the learning rate (warm-up over an eighth of them), and its mixtures are
 * refitted on the final embedding of a sample of the training scenes (`refitPixelsPerClass`, `refitImages`). Scenes
 * are generated on the fly, so every step sees new ones. Full: 2 400 + 400 steps (9.5 min on the 2-vCPU VM);
 * `--quick`: 120 + 20 steps (digits not yet recognised).
 */
export function demoBudget(o: Pick<DemoOptions, 'quick' | 'steps' | 'trainImages' | 'testImages' | 'seed'>): {
  softmax: TrainConfig;
  gmm: TrainConfig;
  trainImages: number;
  testImages: number;
} {
  const quick = o.quick;
  const steps = o.steps ?? (quick ? 120 : 2400);
  const softmax = makeTrainConfig({
    steps,
    batchSize: 8,
    cropSize: [128, 128],
    flip: false,
    scaleRange: [0.8, 1.25],
    learningRate: 2e-3,
    headLrMultiplier: 1,
    warmupSteps: Math.min(100, Math.max(1, Math.floor(steps / 10))),
    classWeighting: 'enet',
    classWeightImages: 2400,
    predictScales: [...DEMO_PREDICT.scales],
    seed: o.seed,
  });
  const gmmSteps = Math.max(1, Math.round(steps / 6));
  const gmm = makeTrainConfig({
    ...softmax,
    steps: gmmSteps,
    learningRate: 3e-3,
    warmupSteps: Math.max(1, Math.round(gmmSteps / 8)),
    refitPixelsPerClass: 20000,
    refitImages: quick ? 100 : 500,
  });
  const trainImages = o.trainImages ?? steps * softmax.batchSize;
  return { softmax, gmm, trainImages, testImages: o.testImages ?? (quick ? 30 : 100) };
}

/** DigitScenes of the demo: 3–6 digits of 34–56 px on a 128 px canvas, each at most 10 % covered by another. */
export const DEMO_SCENES = { digitScale: [1.2, 2.0], digitsPerImage: [3, 6], maxOverlap: 0.1 } as const;

/**
 * How the demo predicts (evaluation, calibration, and stored in both model files for `predict`/`serve`): whole scenes
 * at scales 1 and 1.25, outputs averaged — chosen on the demo's validation scenes (README "Toward a demo").
 */
export const DEMO_PREDICT = { mode: 'whole', scales: [1, 1.25], flip: false } as const satisfies PredictOptions;

/** The from-scratch U-Net (encoder 16–128 channels to stride 16, decoder back to stride 2, 32-d embedding). */
export const DEMO_EXTRACTOR = { kind: 'unet', config: {} };

/**
 * GMM settings for a short warm-started run: a memory that follows the features within tens of steps (500 rows per
 * component, 50 per slot and step, mean momentum 0.9), filled from empty with every labelled pixel (the features
 * already separate the digits), classes scored by the log-sum-exp over their components.
 */
export const DEMO_GMM: Partial<GmmConfig> = {
  componentsPerClass: 5,
  memoryPerComponent: 500,
  maxSamplesPerStep: 50,
  meanMomentum: 0.9,
  gmmUpdateEvery: 1,
  classScore: 'logsumexp',
  memoryInit: 'empty',
  memoryAdmission: 'labelled',
  chunkRows: 65536,
};

/** The `demo` subcommand. */
export function demoCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('demo').description(
    'train a softmax head, then a GMM head from its network (embedded DigitScenes data); ' +
      'report mIoU and anomaly AP/FPR95/AUROC',
  );
  return addOptions(cmd, DEMO_TABLE).action(async (raw: Record<string, unknown>) =>
    runUserCommand('demo', io, () => runDemo(readOptions(DEMO_TABLE, raw), io)),
  );
}

async function runDemo(opts: DemoOptions, io: CommandIo): Promise<void> {
  const engine = await startEngine(opts.engine);
  const { softmax, gmm, trainImages, testImages } = demoBudget(opts);
  await prepareOutputFolder(opts.out, '--out');
  const budget = `softmax head ${softmax.steps} steps, then the GMM head ${gmm.steps} steps from its U-Net`;
  io.out(
    `gmmseg demo: ${engineSummary(engine)}; ${budget}; ${trainImages} DigitScenes training images${opts.quick ? ' (quick budget)' : ''}\n`,
  );
  const t0 = performance.now();
  const scenes = await buildDigitScenes({
    seed: opts.seed,
    trainCount: trainImages,
    testCount: testImages,
    anomalyCount: testImages,
    ...DEMO_SCENES,
  });
  const validation = (
    await buildDigitScenes({
      seed: opts.seed + 1000,
      trainCount: 1,
      testCount: Math.max(4, Math.floor(testImages / 2)),
      anomalyCount: 1,
      ...DEMO_SCENES,
    })
  ).test;
  const progress = createProgress(opts.progress, io);
  const outcomes: HeadOutcome[] = await runExperiment({
    classes: [...scenes.train.classes],
    train: scenes.train,
    closedTest: scenes.test,
    anomalyTest: scenes.anomaly,
    calibration: validation,
    extractor: DEMO_EXTRACTOR,
    trainConfig: softmax,
    headTrainConfigs: { gmm },
    warmStart: true,
    gmm: DEMO_GMM,
    heads: ['softmax', 'gmm'],
    predict: DEMO_PREDICT,
    onEvent: progress.event,
  });
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const meta = {
    title: 'gmmseg demo: softmax head, then the GMM head warm-started from its U-Net (DigitScenes)',
    engine,
    machine: machineSummary(),
    command: `gmmseg demo${opts.quick ? ' --quick' : ''} --seed ${opts.seed}`,
    seconds,
    train: softmax,
    gmm: DEMO_GMM,
    predict: DEMO_PREDICT,
  };
  const written = await writeExperimentOutputs(opts.out, outcomes, meta, scenes.anomaly);
  io.out(
    `\n${summaryTable(outcomes)}\n${seconds.toFixed(0)} s on ${engine}; wrote ${written.length} files into ${opts.out}\n`,
  );
}
