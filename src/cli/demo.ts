/**
 * `gmmseg demo [--quick] [--out DIR]`: on the embedded DigitScenes set (MNIST digits on textured backgrounds,
 * Fashion-MNIST items as anomalies), trains the GMM head and the softmax baseline on the same frozen COCO MobileNetV3
 * backbone (each with the same light decoder), evaluates closed-set mIoU and anomaly AP/FPR95/AUROC, and writes
 * `gmm.gmmseg`, `softmax.gmmseg`, the report (JSON + Markdown), ROC/PR curves and example pictures into DIR.
 */
import { Command } from 'commander';
import { buildDigitScenes } from '../data/digit-scenes.js';
import { engineSummary, machineSummary } from '../engine/engine.js';
import type { GmmConfig } from '../gmm/config.js';
import { summaryTable } from '../report/experiment.js';
import { runExperiment, type HeadOutcome } from '../train/experiment.js';
import { makeTrainConfig, type TrainConfig } from '../train/train-config.js';
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
 * The demo's budgets. Both train on cached frozen-backbone maps (flip is the only augmentation: the backbone is frozen,
 * so its maps are computed once per image); the decoder and head learn at 1e-2 (1e-3 × head multiplier 10).
 */
export function demoBudget(o: Pick<DemoOptions, 'quick' | 'steps' | 'trainImages' | 'testImages' | 'seed'>): {
  train: TrainConfig;
  trainImages: number;
  testImages: number;
} {
  const quick = o.quick;
  const steps = o.steps ?? (quick ? 200 : 600);
  const train = makeTrainConfig({
    steps,
    batchSize: 8,
    cropSize: [128, 128],
    cacheFrozen: true,
    learningRate: 1e-3,
    headLrMultiplier: 10,
    warmupSteps: Math.max(1, Math.floor(steps / 10)),
    seed: o.seed,
  });
  return { train, trainImages: o.trainImages ?? (quick ? 120 : 300), testImages: o.testImages ?? (quick ? 30 : 100) };
}

/** Digits 56–98 px tall on the 128 px canvases: large enough for the stride-8 frozen maps to resolve them. */
export const DEMO_DIGIT_SCALE = [2.0, 3.5] as const;

/** The frozen COCO MobileNetV3 with a 128-channel light decoder and 64-dimensional embeddings. */
export const DEMO_EXTRACTOR = { kind: 'mbv3', config: { embedDim: 64, channels: 128 } };

/** GMM settings for a short budget: means move within hundreds of steps instead of the reference's 80k iterations. */
export const DEMO_GMM: Partial<GmmConfig> = {
  componentsPerClass: 5,
  memoryPerComponent: 2000,
  meanMomentum: 0.99,
  gmmUpdateEvery: 1,
  chunkRows: 65536,
};

/** The `demo` subcommand. */
export function demoCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('demo').description(
    'train GMM and softmax heads on a frozen backbone (embedded DigitScenes data); ' +
      'report mIoU and anomaly AP/FPR95/AUROC',
  );
  return addOptions(cmd, DEMO_TABLE).action(async (raw: Record<string, unknown>) =>
    runUserCommand('demo', io, () => runDemo(readOptions(DEMO_TABLE, raw), io)),
  );
}

async function runDemo(opts: DemoOptions, io: CommandIo): Promise<void> {
  const engine = await startEngine(opts.engine);
  const { train, trainImages, testImages } = demoBudget(opts);
  await prepareOutputFolder(opts.out, '--out');
  io.out(
    `gmmseg demo: ${engineSummary(engine)}; ${train.steps} steps per head on ${trainImages} DigitScenes images (frozen maps cached${opts.quick ? ', quick budget' : ''})\n`,
  );
  const t0 = performance.now();
  const scenes = await buildDigitScenes({
    seed: opts.seed,
    trainCount: trainImages,
    testCount: testImages,
    anomalyCount: testImages,
    digitScale: DEMO_DIGIT_SCALE,
  });
  const validation = (
    await buildDigitScenes({
      seed: opts.seed + 1000,
      trainCount: 1,
      testCount: Math.max(4, Math.floor(testImages / 2)),
      anomalyCount: 1,
      digitScale: DEMO_DIGIT_SCALE,
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
    trainConfig: train,
    gmm: DEMO_GMM,
    heads: ['gmm', 'softmax'],
    predict: { mode: 'whole' },
    onEvent: progress.event,
  });
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const meta = {
    title: 'gmmseg demo: GMM vs softmax head on a frozen COCO MobileNetV3 (DigitScenes)',
    engine,
    machine: machineSummary(),
    command: `gmmseg demo${opts.quick ? ' --quick' : ''} --seed ${opts.seed}`,
    seconds,
    train,
    gmm: DEMO_GMM,
    predict: { mode: 'whole' as const },
  };
  const written = await writeExperimentOutputs(opts.out, outcomes, meta, scenes.anomaly);
  io.out(
    `\n${summaryTable(outcomes)}\n${seconds.toFixed(0)} s on ${engine}; wrote ${written.length} files into ${opts.out}\n`,
  );
}
