/**
 * `gmmseg train`: trains a segmentation model (GMM or softmax head on an extractor) on a dataset, with periodic
 * validation, atomic checkpoints and `--resume` (continues bit for bit). Every training and GMM config key has a typed
 * flag (`--mean-momentum 0.999`, `--crop-size 256,256`, …); unknown flags are errors.
 */
import { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { engineSummary, initEngine, parseEngineName } from '../engine/engine.js';
import { GmmsegError, ValueError } from '../errors.js';
import { DEFAULT_GMM_CONFIG, makeGmmConfig } from '../gmm/config.js';
import { createHeadState } from '../gmm/head.js';
import { EXTRACTOR_LOADERS } from '../model/extractors.js';
import { segModelFromFile, segModelToFile } from '../model/seg-model-file.js';
import type { SegModel } from '../model/seg-model.js';
import { createSoftmaxHead } from '../nn/softmax-head.js';
import { createRng } from '../random.js';
import { createAdamWState } from '../train/adamw.js';
import { evaluateModel } from '../train/evaluate.js';
import { calibrate, primaryScore } from '../train/experiment.js';
import { buildFrozenCache } from '../train/frozen-cache.js';
import { DEFAULT_TRAIN_CONFIG, makeTrainConfig, type TrainConfig } from '../train/train-config.js';
import { trainStep, TrainingDivergedError, type TrainState } from '../train/trainer.js';
import { addConfigOptions, configOverrides } from './config-flags.js';
import { openDataset } from './datasets.js';
import { extractorFactory } from './extractor-factories.js';
import { readModelFile, writeModelFile } from './fs-io.js';
import { addEngineOption, processIo, runUserCommand } from './command-io.js';
import type { CommandIo } from './inspect.js';
import { createProgress } from './progress.js';


interface TrainFlags extends Record<string, unknown> {
  dataset: string;
  root: string;
  split: string;
  valSplit?: string;
  extractor: string;
  head: string;
  out: string;
  checkpointDir?: string;
  resume?: string;
  engine?: string;
  skipBad: boolean;
}

/** The `train` subcommand. */
export function trainCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('train')
    .description('train a GMM (or softmax) segmentation model; checkpoints are atomic and --resume continues bit for bit')
    .requiredOption('--dataset <name>', 'dataset format (digit-scenes, camvid, cityscapes, ade20k, voc, folder)')
    .option('--root <dir>', 'dataset root folder', '.')
    .option('--split <name>', 'training split', 'train')
    .option('--val-split <name>', 'validation split (closed-set mIoU and threshold calibration)')
    .option('--extractor <name>', 'feature extractor: mbv3 (frozen COCO MobileNetV3 + decoder), deeplab, segformer', 'mbv3')
    .option('--head <kind>', 'classifier head: gmm or softmax', 'gmm')
    .requiredOption('--out <file>', 'model file to write (.gmmseg)')
    .option('--checkpoint-dir <dir>', 'folder for checkpoints (default: beside --out)')
    .option('--resume <checkpoint>', 'continue from a checkpoint file')
    .option('--skip-bad', 'leave out unreadable or inconsistent samples (reported)', false);
  addConfigOptions(cmd, DEFAULT_TRAIN_CONFIG, 'training');
  addConfigOptions(cmd, DEFAULT_GMM_CONFIG, 'GMM', ['classes']);
  return addEngineOption(cmd).action(async (flags: TrainFlags) => runUserCommand('train', io, () => runTrain(flags, io)));
}

async function runTrain(flags: TrainFlags, io: CommandIo): Promise<void> {
  if (flags.head !== 'gmm' && flags.head !== 'softmax') throw new ValueError(`--head must be gmm or softmax, got '${flags.head}'`);
  const engine = await initEngine(flags.engine !== undefined ? parseEngineName(flags.engine, '--engine') : undefined);
  const resumed = flags.resume ? await loadCheckpoint(flags.resume) : undefined;
  // A resumed run keeps the checkpoint's training config (so it continues bit for bit); flags given now override it.
  const cfg = makeTrainConfig({ ...(resumed?.train ?? {}), ...configOverrides(flags, DEFAULT_TRAIN_CONFIG) });
  const gmmOverrides = configOverrides(flags, DEFAULT_GMM_CONFIG);
  if (resumed && Object.keys(gmmOverrides).length > 0) io.err(`gmmseg train: note: GMM flags (${Object.keys(gmmOverrides).join(', ')}) are ignored with --resume; the checkpoint's GMM config is used\n`);
  const req = { root: flags.root, skipBad: flags.skipBad, seed: cfg.seed };
  const train = await openDataset(flags.dataset, { ...req, split: flags.split });
  const val = flags.valSplit ? await openDataset(flags.dataset, { ...req, split: flags.valSplit }) : undefined;
  for (const s of train.skipped) io.err(`gmmseg train: skipped ${s.file}: ${s.reason}\n`);
  let state: TrainState;
  if (resumed) {
    state = resumed.state;
    io.out(`resuming from ${flags.resume} at step ${state.step}\n`);
  } else state = { step: 0, model: await newModel(flags, [...train.classes], gmmOverrides, cfg), optimizer: createAdamWState() };
  if (state.model.classes.length !== train.classes.length) throw new ValueError(`--resume ${flags.resume}: the checkpoint has ${state.model.classes.length} classes, ${train.name} has ${train.classes.length}`);
  const ckDir = flags.checkpointDir ?? path.dirname(flags.out);
  await mkdir(ckDir, { recursive: true });
  const ckPath = path.join(ckDir, `${path.basename(flags.out, '.gmmseg')}.checkpoint.gmmseg`);
  io.out(`gmmseg train: ${engineSummary(engine)}; ${flags.head} head on ${flags.extractor}; ${train.name} (${train.length} images); ${cfg.steps} steps\n`);
  const frozen = cfg.cacheFrozen ? await buildFrozenCache(state.model.extractor, train, cfg.baseScale) : undefined;
  const t0 = performance.now();
  const startStep = state.step;
  const progress = createProgress(process.stderr.isTTY === true, io);
  let lastCheckpoint = flags.resume ? `${flags.resume} (step ${state.step})` : 'none written yet';
  while (state.step < cfg.steps) {
    let r;
    try {
      r = await trainStep(state, frozen ? { dataset: train, frozen } : { dataset: train }, cfg);
    } catch (e) {
      if (e instanceof TrainingDivergedError) throw new GmmsegError(`${e.message}; last good checkpoint: ${lastCheckpoint}; try a lower --learning-rate or a longer --warmup-steps`);
      throw e;
    }
    state = r.state;
    progress.event({ kind: 'step', head: flags.head as 'gmm' | 'softmax', step: state.step, total: cfg.steps, losses: r.losses });
    if (!process.stderr.isTTY && (state.step % Math.max(1, Math.floor(cfg.steps / 20)) === 0 || state.step === cfg.steps)) {
      const rate = (state.step - startStep) / ((performance.now() - t0) / 1000);
      io.out(`step ${state.step}/${cfg.steps} loss ${r.losses.loss.toFixed(4)} lr ${r.losses.learningRate.toExponential(2)} ${rate.toFixed(2)} step/s eta ${((cfg.steps - state.step) / rate).toFixed(0)} s\n`);
    }
    if (cfg.checkpointEvery > 0 && state.step % cfg.checkpointEvery === 0) {
      await writeModelFile(ckPath, segModelToFile(state.model, { train: cfg, checkpoint: { step: state.step, optimizer: state.optimizer } }));
      lastCheckpoint = `${ckPath} (step ${state.step})`;
    }
    if (val && cfg.validateEvery > 0 && state.step % cfg.validateEvery === 0) io.out(`validation at step ${state.step}: mIoU ${(100 * ((await evaluateModel(state.model, val, { mode: 'whole' })).segmentation?.miou ?? NaN)).toFixed(2)} %\n`);
  }
  progress.stop();
  const metrics: Record<string, unknown> = { trainSeconds: (performance.now() - t0) / 1000, steps: cfg.steps, dataset: train.name };
  let calibration: Record<string, unknown> = {};
  if (val) {
    const ev = await evaluateModel(state.model, val, { mode: 'whole' });
    if (ev.segmentation) Object.assign(metrics, { valDataset: val.name, valMiou: ev.segmentation.miou });
    const score = primaryScore(flags.head);
    const c = await calibrate(state.model, val, score, { mode: 'whole' });
    calibration = { score, threshold: c.threshold, inlierMedian: c.inlierMedian, targetTpr: c.targetTpr, dataset: val.name };
  }
  await writeModelFile(flags.out, segModelToFile(state.model, { train: cfg, metrics, calibration, preprocessing: { input: 'RGB uint8 0..255, NHWC', sizeMultiple: state.model.extractor.sizeMultiple } }));
  await writeModelFile(ckPath, segModelToFile(state.model, { train: cfg, checkpoint: { step: state.step, optimizer: state.optimizer } }));
  io.out(`wrote ${flags.out} and ${ckPath}\n`);
}

async function loadCheckpoint(file: string): Promise<{ state: TrainState; train: Record<string, unknown> }> {
  const loaded = await segModelFromFile(await readModelFile(file), EXTRACTOR_LOADERS, true);
  if (!loaded.checkpoint) throw new ValueError(`--resume ${file}: not a checkpoint (it has no training state)`);
  return { state: { step: loaded.checkpoint.step, model: loaded.model, optimizer: loaded.checkpoint.optimizer }, train: loaded.train };
}

async function newModel(flags: TrainFlags, classes: string[], gmm: Record<string, unknown>, cfg: TrainConfig): Promise<SegModel> {
  const rng = createRng(cfg.seed);
  const embedDim = typeof gmm['embedDim'] === 'number' ? (gmm['embedDim'] as number) : DEFAULT_GMM_CONFIG.embedDim;
  const extractor = await extractorFactory(flags.extractor)(rng, embedDim);
  if (flags.head === 'softmax') return { classes, extractor, head: { kind: 'softmax', head: createSoftmaxHead({ embedDim: extractor.embedDim, classes: classes.length, rng }) } };
  return { classes, extractor, head: { kind: 'gmm', state: createHeadState(makeGmmConfig({ ...gmm, classes: classes.length, embedDim: extractor.embedDim }), rng, true) } };
}
