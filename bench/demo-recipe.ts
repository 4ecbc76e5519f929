/**
 * `npm run bench:demo-recipe -- 'JSON' [--out DIR]`: one GMM-vs-softmax experiment on DigitScenes with the recipe
 * given as JSON (extractor, training-config and GMM overrides, heads, digit scale and count, image counts), to try demo
 * recipes without editing `gmmseg demo`. Prints the loss every 25 steps with wall and process-CPU seconds (CPU time is
 * the steadier figure on a shared machine), the summary table and per-class IoU. Defaults: the demo's quick data (120
 * train / 30 test / 30 anomaly images, digits 2–3.5 × 28 px), 200 steps of batch 8 × 128², lr 1e-3 (×10 decoder and
 * head).
 * `--out DIR` writes the experiment's report folder (one `.gmmseg` model per head, report, curves, pictures) for
 * later diagnosis (`gmmseg eval`/`predict` read the models).
 *
 *   node dist/bench/demo-recipe.js '{"extractor":{"kind":"deeplab","config":{"decoderChannels":32}},
 *     "train":{"steps":300,"flip":false},"heads":["softmax","gmm"],"trainImages":4000}'
 */
import { writeExperimentOutputs } from '../src/cli/experiment-output.js';
import { buildDigitScenes } from '../src/data/digit-scenes.js';
import { engineSummary, initEngine, machineSummary } from '../src/engine/engine.js';
import { summaryTable } from '../src/report/experiment.js';
import { runExperiment, type ExperimentEvent, type HeadKind } from '../src/train/experiment.js';
import { makeTrainConfig } from '../src/train/train-config.js';

/** The recipe read from the command line. */
interface Recipe {
  extractor: { kind: string; config?: Record<string, unknown> };
  train?: Record<string, unknown>;
  gmm?: Record<string, unknown>;
  heads?: HeadKind[];
  digitScale?: [number, number];
  /** Digits per scene, inclusive range (DigitScenes default [1, 4]). */
  digitsPerImage?: [number, number];
  /** Largest covered fraction of a digit's ink box (DigitScenes default 1: free placement). */
  maxOverlap?: number;
  /** Canvas size in pixels (DigitScenes default 128; digit scales are relative to 128). */
  size?: number;
  trainImages?: number;
  testImages?: number;
  seed?: number;
  /** Each head after the first starts from the previous head's trained extractor. */
  warmStart?: boolean;
  /** Per-head training overrides on top of `train` (e.g. fewer steps for a warm-started head). */
  headTrain?: Partial<Record<HeadKind, Record<string, unknown>>>;
}

/** Wall and process-CPU seconds since the clock was made. */
function clock(): () => string {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return `${((performance.now() - t0) / 1000).toFixed(1)} s wall ${((c.user + c.system) / 1e6).toFixed(1)} s cpu`;
  };
}

function logEvent(e: ExperimentEvent, elapsed: () => string): void {
  if (e.kind === 'step' && (e.step % 25 === 0 || e.step === 1)) {
    const l = e.losses;
    const losses = `loss ${l.loss.toFixed(4)} seg ${l.segLoss.toFixed(4)} contrast ${l.contrastLoss.toFixed(4)}`;
    console.log(`${e.head} step ${e.step}/${e.total} ${losses} lr ${l.learningRate.toExponential(2)} ${elapsed()}`);
  }
  if (e.kind === 'eval' && e.done === 1) console.log(`${e.head} evaluation starts ${elapsed()}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  if (outAt >= 0 && !out) throw new Error('bench:demo-recipe: --out needs a folder');
  const json = args.find((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
  const r = JSON.parse(json ?? '{"extractor":{"kind":"mbv3"}}') as Recipe;
  const engine = await initEngine();
  const seed = r.seed ?? 1;
  const digitScale = r.digitScale ?? [2.0, 3.5];
  const testCount = r.testImages ?? 30;
  const trainCount = r.trainImages ?? 120;
  const scene = {
    digitScale,
    ...(r.digitsPerImage ? { digitsPerImage: r.digitsPerImage } : {}),
    ...(r.maxOverlap !== undefined ? { maxOverlap: r.maxOverlap } : {}),
    ...(r.size !== undefined ? { width: r.size, height: r.size } : {}),
  };
  const scenes = await buildDigitScenes({ seed, trainCount, testCount, anomalyCount: testCount, ...scene });
  const calibrationCount = Math.max(4, Math.floor(testCount / 2));
  const calibration = (
    await buildDigitScenes({
      seed: seed + 1000,
      trainCount: 1,
      testCount: calibrationCount,
      anomalyCount: 1,
      ...scene,
    })
  ).test;
  const train = makeTrainConfig({
    steps: 200,
    batchSize: 8,
    cropSize: [r.size ?? 128, r.size ?? 128],
    learningRate: 1e-3,
    headLrMultiplier: 10,
    warmupSteps: 20,
    seed,
    ...r.train,
  });
  const headTrainConfigs = Object.fromEntries(
    Object.entries(r.headTrain ?? {}).map(([head, o]) => [head, makeTrainConfig({ ...train, ...o })]),
  );
  console.log(`bench:demo-recipe ${engineSummary(engine)}; ${JSON.stringify(r)}`);
  const elapsed = clock();
  const gmm = { componentsPerClass: 5, memoryPerComponent: 2000, meanMomentum: 0.99, gmmUpdateEvery: 1, ...r.gmm };
  const predict = { mode: 'whole' as const };
  const outcomes = await runExperiment({
    classes: [...scenes.train.classes],
    train: scenes.train,
    closedTest: scenes.test,
    anomalyTest: scenes.anomaly,
    calibration,
    extractor: r.extractor,
    trainConfig: train,
    gmm,
    heads: r.heads ?? ['gmm', 'softmax'],
    warmStart: r.warmStart ?? false,
    headTrainConfigs,
    predict,
    onEvent: (e) => logEvent(e, elapsed),
  });
  console.log(summaryTable(outcomes));
  for (const o of outcomes) {
    const iou = Array.from(o.closedSet.segmentation?.iou ?? [], (v) => (v * 100).toFixed(0)).join(' ');
    console.log(`${o.head}: trained ${o.trainSeconds.toFixed(1)} s, final loss ${o.finalLoss.toFixed(4)}, IoU ${iou}`);
  }
  console.log(`total ${elapsed()}`);
  if (out === undefined) return;
  const meta = {
    title: 'DigitScenes: demo recipe experiment',
    engine,
    machine: machineSummary(),
    command: `npm run bench:demo-recipe -- ${args.join(' ')}`,
    seconds: outcomes.reduce((t, o) => t + o.trainSeconds, 0),
    train,
    gmm,
    predict,
  };
  const written = await writeExperimentOutputs(out, outcomes, meta, scenes.anomaly);
  console.log(`wrote ${written.length} files (report and models) into ${out}`);
}

void main();
