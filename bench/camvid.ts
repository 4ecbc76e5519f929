/**
 * `npm run bench:camvid [-- --camvid PATH] [--recipe finetune|frozen] [--backbone mbv3|mbv2]
 * [--backbone-scales s8,s32|s4,s8,s32] [--train-split train|trainval] [--class-weighting none|enet]
 * [--class-weight-offset c] [--steps N] [--batch N] [--scales S] [--quick] [--out DIR]`:
 * trains the GMM head and the softmax baseline on CamVid train (or train + val, `--train-split trainval`, the CamVid
 * papers' final training) with one recipe, reports CamVid test mIoU for both, and
 * anomaly AP / FPR95 / AUROC on the CamVid anomaly protocol (Fishyscapes-Static-style pasted objects on the test
 * images) for the GMM likelihood vs MSP, max-logit and energy. Thresholds are calibrated on CamVid val inliers.
 * Writes the usual report folder (models, report.json/md, curves, pictures).
 *
 * Recipes (README "Results"): `finetune` (default) trains the COCO MobileNetV3 end to end with the decoder and head,
 * on-the-fly augmentation (scale 0.5–2, 352×480 crops, flip, photometric), 5600 steps × 4 with the global gradient
 * norm clipped at 100, ENet class weights
 * (c = 1.10; `--class-weighting none` for the reference's unweighted CE), the GMM memory starting empty, and predicts
 * at input scale 1.5 (tuned on val; `--scales 1` for the image's own size); `frozen` is the
 * earlier recipe: frozen backbone, cached maps, 500 steps × 4, decoder lr 1e-2, scale 1. `--backbone mbv2` (finetune
 * only) fine-tunes the ImageNet MobileNetV2 1.4 instead of the COCO MobileNetV3 (≈ 2× the time per step);
 * `--backbone-scales s4,s8,s32` (finetune only) adds the stride-4 map, so decoder and head run at stride 4.
 */
import { benchArgs, camvidRoot, flag } from './args.js';
import { existsSync } from 'node:fs';
import { writeExperimentOutputs } from '../src/cli/experiment-output.js';
import { number, oneOf, positiveInt, scaleList, textList } from '../src/cli/option-kinds.js';
import { openCamVidAnomaly } from '../src/data/camvid-anomaly.js';
import { openCamVid } from '../src/data/camvid.js';
import { firstSamples } from '../src/data/subset.js';
import { initEngine, parseEngineName, machineSummary } from '../src/engine/engine.js';
import type { GmmConfig } from '../src/gmm/config.js';
import { checkScales } from '../src/nn/mbv3-backbone.js';
import { summaryTable, type RunMeta } from '../src/report/experiment.js';
import { runExperiment, type ExperimentEvent } from '../src/train/experiment.js';
import { makeTrainConfig, type TrainConfig } from '../src/train/train-config.js';

const args = benchArgs;
const camvid = camvidRoot();
if (!existsSync(camvid)) {
  process.stderr.write(
    `bench:camvid: no CamVid at ${camvid}; pass --camvid PATH (SegNet layout: train/, trainannot/, …)\n`,
  );
  process.exit(1);
}
const quick = args.includes('--quick');
const recipe = flag('--recipe') ?? 'finetune';
if (recipe !== 'finetune' && recipe !== 'frozen') {
  process.stderr.write(`bench:camvid: --recipe must be 'finetune' or 'frozen', got '${recipe}'\n`);
  process.exit(1);
}
const finetune = recipe === 'finetune';
const backbone = flag('--backbone') ?? 'mbv3';
if (backbone !== 'mbv3' && (backbone !== 'mbv2' || !finetune)) {
  process.stderr.write(
    `bench:camvid: --backbone must be 'mbv3' or (with --recipe finetune) 'mbv2', got '${backbone}'\n`,
  );
  process.exit(1);
}
const backboneScales = textList().parse(flag('--backbone-scales') ?? 's8,s32', '--backbone-scales');
try {
  checkScales(backboneScales, '--backbone-scales');
} catch (e) {
  process.stderr.write(`bench:camvid: ${(e as Error).message}\n`);
  process.exit(1);
}
if (!finetune && backboneScales.join() !== 's8,s32') {
  process.stderr.write(`bench:camvid: --backbone-scales needs --recipe finetune (a trainable backbone)\n`);
  process.exit(1);
}
let scales: number[];
try {
  scales = scaleList(4).parse(flag('--scales') ?? (finetune ? '1.5' : '1'), '--scales');
} catch (e) {
  process.stderr.write(`bench:camvid: ${(e as Error).message}\n`);
  process.exit(1);
}
const predict = { mode: 'whole' as const, scales };
// The recipe's training config, before any work: a bad flag, or a value the config's schema rejects (a class
// weight offset ≤ 1), stops here.
let steps: number;
let classWeighting: 'none' | 'enet';
let classWeightOffset: number;
let batchSize: number;
let cfg: TrainConfig;
try {
  steps = positiveInt().parse(flag('--steps') ?? String(quick ? 200 : finetune ? 5600 : 500), '--steps');
  batchSize = positiveInt().parse(flag('--batch') ?? '4', '--batch');
  classWeighting = oneOf(['none', 'enet'] as const).parse(
    flag('--class-weighting') ?? (finetune ? 'enet' : 'none'),
    '--class-weighting',
  );
  classWeightOffset = number().parse(flag('--class-weight-offset') ?? '1.1', '--class-weight-offset');
  cfg = finetune
    ? makeTrainConfig({
        steps,
        batchSize,
        cropSize: [352, 480],
        scaleRange: [0.5, 2],
        photometric: true,
        learningRate: 3e-4,
        headLrMultiplier: 10,
        warmupSteps: Math.min(100, Math.floor(steps / 10)),
        gradClipNorm: 100,
        seed: 0,
        predictScales: scales,
        classWeighting,
        classWeightOffset,
      })
    : makeTrainConfig({
        steps,
        batchSize,
        cacheFrozen: true,
        learningRate: 1e-3,
        headLrMultiplier: 10,
        warmupSteps: Math.floor(steps / 10),
        seed: 0,
        predictScales: scales,
        classWeighting,
        classWeightOffset,
      });
} catch (e) {
  process.stderr.write(`bench:camvid: ${(e as Error).message}\n`);
  process.exit(1);
}
const trainSplit = flag('--train-split') ?? 'train';
if (trainSplit !== 'train' && trainSplit !== 'trainval') {
  process.stderr.write(`bench:camvid: --train-split must be 'train' or 'trainval', got '${trainSplit}'\n`);
  process.exit(1);
}
const out = flag('--out') ?? 'bench-camvid-out';
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);
const t0 = performance.now();
const [train, val, test] = await Promise.all(([trainSplit, 'val', 'test'] as const).map((s) => openCamVid(camvid, s)));
const protocol = await openCamVidAnomaly(camvid, { seed: 0 });
/** finetune: the 128-channel fusion map is the embedding (no projection block; README "fusion map"). */
const extractor = !finetune
  ? { kind: 'mbv3', config: { embedDim: 64, channels: 128 } }
  : backbone === 'mbv2'
    ? { kind: 'mbv2', config: { embedDim: 128, channels: 128, scales: backboneScales } }
    : { kind: 'mbv3', config: { embedDim: 128, channels: 128, backboneMode: 'trainable', scales: backboneScales } };
const gmm: Partial<GmmConfig> = {
  componentsPerClass: 5,
  memoryPerComponent: 8000,
  meanMomentum: 0.99,
  gmmUpdateEvery: 1,
  ...(finetune ? { memoryInit: 'empty' as const } : {}),
};
process.stdout.write(
  `bench:camvid: engine ${engine}; recipe ${recipe}; backbone ${finetune ? backbone : 'mbv3'} (maps ${backboneScales.join(', ')}); trained on ${trainSplit}; ${steps} steps per head; class weighting ${classWeighting === 'none' ? 'none' : `enet (offset ${classWeightOffset})`}; test scales ${scales.join(', ')}; CamVid at ${camvid}\n`,
);
/** A line per phase and every tenth of it (stderr). */
function progress(e: ExperimentEvent): void {
  const label =
    e.kind === 'cache'
      ? 'frozen maps'
      : e.kind === 'refit'
        ? 'refit GMM'
        : e.kind === 'step'
          ? `train ${e.head}`
          : `eval ${e.head} ${e.dataset}`;
  const done = e.kind === 'step' ? e.step : e.done;
  const loss = e.kind === 'step' ? ` loss ${e.losses.loss.toFixed(4)}` : '';
  if (done === 1 || done === e.total || done % Math.max(1, Math.floor(e.total / 10)) === 0)
    process.stderr.write(`  ${label} ${done}/${e.total}${loss}\n`);
}
const outcomes = await runExperiment({
  classes: [...train.classes],
  train: quick ? firstSamples(train, 96) : train,
  closedTest: quick ? firstSamples(test, 40) : test,
  anomalyTest: quick ? firstSamples(protocol.anomaly, 40) : protocol.anomaly,
  calibration: quick ? firstSamples(val, 20) : val,
  extractor,
  trainConfig: cfg,
  gmm,
  heads: ['gmm', 'softmax'],
  predict,
  onEvent: progress,
});
const seconds = (performance.now() - t0) / 1000;
const meta: RunMeta = {
  title: `CamVid: GMM vs softmax head on a ${finetune ? 'fine-tuned' : 'frozen'} ${backbone === 'mbv2' ? 'ImageNet MobileNetV2' : 'COCO MobileNetV3'}`,
  engine,
  machine: machineSummary(),
  command: `npm run bench:camvid -- ${args.join(' ')}`.trim(),
  seconds,
  train: cfg,
  gmm,
  predict,
};
await writeExperimentOutputs(out, outcomes, meta, protocol.anomaly);
process.stdout.write(
  `\n${summaryTable(outcomes)}\n${(seconds / 60).toFixed(1)} min on ${engine} (${meta.machine}); report in ${out}/report.md\n`,
);
