/**
 * `gmmseg train`: trains a segmentation model (GMM or softmax head on an extractor) on a dataset, with periodic
 * validation, atomic checkpoints and `--resume` (continues bit for bit). Every training, GMM and extractor setting has
 * a typed flag (`--mean-momentum 0.999`, `--crop-size 256,256`, `--channels 64`, …); unknown flags are errors.
 */
import { Command } from 'commander';
import path from 'node:path';
import { engineSummary } from '../engine/engine.js';
import { GmmsegError, ValueError } from '../errors.js';
import { DEFAULT_GMM_CONFIG, type GmmConfig } from '../gmm/config.js';
import { createSegModel } from '../model/create-seg-model.js';
import { segModelToFile } from '../model/seg-model-file.js';
import { createRng } from '../random.js';
import { createAdamWState } from '../train/adamw.js';
import { calibrationRecord } from '../train/calibration.js';
import { checkpointFile, resumeFromCheckpoint } from '../train/checkpoint.js';
import { runTraining, type RunEvent } from '../train/run.js';
import { makeTrainConfig, type TrainConfig } from '../train/train-config.js';
import { TrainingDivergedError, type TrainState } from '../train/trainer.js';
import { openCheckedDataset } from './checked-dataset.js';
import { cleanStaleTemps, processIo, runUserCommand, startEngine, type CommandIo } from './command-io.js';
import { extractorOverrides, givenExtractorFlags } from './extractor-flags.js';
import { readModelFile, writeModelFile } from './fs-io.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { prepareOutputFile } from './output-paths.js';
import {
  ENGINE_OPTIONS,
  GMM_CONFIG_OPTIONS,
  TRAIN_CONFIG_OPTIONS,
  TRAIN_OPTIONS,
  TRAINING_CONFIG_OPTIONS,
} from './options.js';
import { createProgress, type Progress } from './progress.js';
import { parseLaunchEnv, type LaunchEnv } from '../parallel/launch-env.js';
import { ProcessGroup } from '../parallel/process-group.js';
import { runLocalWorkers, threadsPerWorker } from './train-workers.js';

/** Every flag of `gmmseg train`. */
const TRAIN_TABLE = { ...TRAIN_OPTIONS, ...TRAIN_CONFIG_OPTIONS, ...ENGINE_OPTIONS };

/** The typed flag values of `gmmseg train`. */
type TrainValues = OptionValues<typeof TRAIN_TABLE>;

/** The `train` subcommand. */
export function trainCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('train').description(
    'train a GMM (or softmax) segmentation model; checkpoints are atomic and --resume continues bit for bit',
  );
  return addOptions(cmd, TRAIN_TABLE).action(async (raw: Record<string, unknown>) =>
    runUserCommand('train', io, () => runTrain(readOptions(TRAIN_TABLE, raw), io)),
  );
}

/** The config flags of `group` that were given (the others are undefined in `v`). */
function given(v: TrainValues, group: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = v;
  return Object.fromEntries(Object.keys(group).flatMap((k) => (values[k] === undefined ? [] : [[k, values[k]]])));
}

/** The checkpoint file of a run writing `out` (in `--checkpoint-dir`, else beside `out`). */
function checkpointPath(flags: TrainValues): string {
  const ckDir = flags.checkpointDir ?? path.dirname(flags.out);
  return path.join(ckDir, `${path.basename(flags.out, '.gmmseg')}.checkpoint.gmmseg`);
}

/** Checks (and creates the folders of) the model and checkpoint paths, and removes stale temp files of both. */
async function prepareOutputs(flags: TrainValues, io: CommandIo): Promise<string> {
  await prepareOutputFile(flags.out, '--out');
  const ckPath = checkpointPath(flags);
  await prepareOutputFile(ckPath, flags.checkpointDir ? '--checkpoint-dir: the checkpoint' : '--out: the checkpoint');
  await cleanStaleTemps([flags.out, ckPath], io, 'train');
  return ckPath;
}

/** Output of a worker of rank ≠ 0: errors only (rank 0 alone writes logs, checkpoints and the model). */
function quietIo(io: CommandIo): CommandIo {
  return { ...io, out: () => undefined };
}

async function runTrain(flags: TrainValues, parentIo: CommandIo): Promise<void> {
  const launch = parseLaunchEnv();
  if (!launch && flags.nproc !== undefined && flags.nproc > 1) {
    await prepareOutputs(flags, parentIo);
    return runLocalWorkers(flags.nproc, process.argv.slice(1), parentIo);
  }
  // several workers on one machine share its cores (torchrun sets LOCAL_WORLD_SIZE): split them unless told
  if (launch && !process.env['GMMSEG_THREADS'])
    process.env['GMMSEG_THREADS'] = String(threadsPerWorker(launch.localWorldSize));
  const io = launch && launch.rank !== 0 ? quietIo(parentIo) : parentIo;
  const ckPath = launch && launch.rank !== 0 ? checkpointPath(flags) : await prepareOutputs(flags, io);
  const engine = await startEngine(flags.engine);
  const group = launch ? joinGroup(launch, flags, io) : undefined;
  const trainOverrides = given(flags, TRAINING_CONFIG_OPTIONS) as Partial<TrainConfig>;
  const resumed = flags.resume
    ? await resumeFromCheckpoint(await readModelFile(flags.resume), trainOverrides, `--resume ${flags.resume}`)
    : undefined;
  const cfg = resumed?.config ?? makeTrainConfig(trainOverrides);
  const gmmOverrides = given(flags, GMM_CONFIG_OPTIONS) as Partial<GmmConfig>;
  const gmmFlags = Object.keys(gmmOverrides);
  if (resumed && gmmFlags.length > 0) {
    const why = "are ignored with --resume; the checkpoint's GMM config is used";
    io.err(`gmmseg train: note: GMM flags (${gmmFlags.join(', ')}) ${why}\n`);
  }
  const exFlags = Object.keys(givenExtractorFlags(flags));
  if (resumed && exFlags.length > 0) {
    const why = "are ignored with --resume; the checkpoint's extractor is used";
    io.err(`gmmseg train: note: extractor flags (${exFlags.join(', ')}) ${why}\n`);
  }
  const held = flags.heldOut ? { heldOut: flags.heldOut } : {};
  const req = { root: flags.root, skipBad: flags.skipBad, seed: cfg.seed, ...held };
  const ctx = { io, command: 'train' };
  const train = await openCheckedDataset(flags.dataset, { ...req, split: flags.split }, ctx);
  const val = flags.valSplit
    ? await openCheckedDataset(flags.dataset, { ...req, split: flags.valSplit }, ctx)
    : undefined;
  let state: TrainState;
  if (resumed) {
    state = resumed.state;
    io.out(`resuming from ${flags.resume} at step ${state.step}\n`);
  } else {
    // --embed-dim (a GMM setting) also sizes the extractor's output, for either head
    const embedDim = gmmOverrides.embedDim ?? DEFAULT_GMM_CONFIG.embedDim;
    const extractor = { kind: flags.extractor, config: { ...extractorOverrides(flags, flags.extractor), embedDim } };
    const head = flags.head === 'gmm' ? { kind: 'gmm' as const, gmm: gmmOverrides } : { kind: 'softmax' as const };
    const aux = cfg.auxLossWeight > 0;
    const model = await createSegModel({ classes: train.classes, extractor, head, aux }, createRng(cfg.seed));
    state = { step: 0, model, optimizer: createAdamWState() };
  }
  if (state.model.classes.length !== train.classes.length)
    throw new ValueError(
      `--resume ${flags.resume}: the checkpoint has ${state.model.classes.length} classes, ${train.name} has ${train.classes.length}`,
    );
  io.out(
    `gmmseg train: ${engineSummary(engine)}; ${flags.head} head on ${flags.extractor}; ${train.name} (${train.length} images); ${cfg.steps} steps\n`,
  );
  const progress = createProgress(process.stderr.isTTY === true, io);
  const startStep = state.step;
  let lastCheckpoint: Checkpoint | undefined = flags.resume ? { file: flags.resume, step: state.step } : undefined;
  let run;
  try {
    run = await runTraining({
      state,
      config: cfg,
      train,
      ...(val ? { validation: val, calibration: val } : {}),
      onCheckpoint: async (s) => {
        await writeModelFile(ckPath, checkpointFile(s, cfg));
        lastCheckpoint = { file: ckPath, step: s.step };
      },
      onEvent: (e) => reportEvent(e, { io, progress, cfg, startStep, classes: train.classes }),
      ...(group ? { group } : {}),
    });
    progress.stop();
    const wa = run.weightAverage;
    if (wa) {
      const miou = run.validation?.segmentation?.miou;
      const after = miou === undefined ? '' : `; validation mIoU ${(100 * miou).toFixed(2)} %`;
      io.out(`weights averaged over ${wa.snapshots} snapshots (steps ${wa.fromStep}–${wa.toStep})${after}\n`);
    }
    const metrics: Record<string, unknown> = { trainSeconds: run.trainSeconds, steps: cfg.steps, dataset: train.name };
    const valMiou = run.validation?.segmentation?.miou;
    if (val && valMiou !== undefined) Object.assign(metrics, { valDataset: val.name, valMiou });
    const calibration = run.calibration ? calibrationRecord(run.calibration) : undefined;
    const views = { scales: cfg.predictScales, flip: cfg.predictFlip };
    const file = segModelToFile(run.state.model, {
      train: cfg,
      metrics,
      views,
      ...(calibration ? { calibration } : {}),
    });
    if (!launch || launch.rank === 0) await writeModelFile(flags.out, file);
    group?.destroy();
  } catch (e) {
    progress.stop();
    throw withCheckpointHint(e, lastCheckpoint, ckPath);
  }
  io.out(`wrote ${flags.out} and ${ckPath}\n`);
}

/** Joins the job's process group (torchrun variables); rank 0 says so. */
function joinGroup(launch: LaunchEnv, flags: TrainValues, io: CommandIo): ProcessGroup {
  const where = `${launch.masterAddr}:${launch.masterPort}`;
  io.out(`gmmseg train: rank ${launch.rank} of ${launch.worldSize} joining ${where} (gloo)\n`);
  const group = ProcessGroup.init({ ...launch, timeoutMs: flags.distTimeout * 1000 });
  io.out(`gmmseg train: ${launch.worldSize} workers joined; global batch = ${launch.worldSize} × batch × accumulate\n`);
  return group;
}

/**
 * A user error during training, with the last checkpoint and how to continue from it added to its message (the
 * error keeps its class); divergence also suggests gentler settings. Bugs pass through unchanged.
 */
function withCheckpointHint(e: unknown, last: Checkpoint | undefined, ckPath: string): unknown {
  if (!(e instanceof GmmsegError)) return e;
  const where = last ? `${last.file} (step ${last.step})` : `none written yet (it goes to ${ckPath})`;
  if (e instanceof TrainingDivergedError) {
    const hint = 'try a lower --learning-rate or a longer --warmup-steps';
    return new GmmsegError(`${e.message}; last good checkpoint: ${where}; ${hint}`);
  }
  e.message = `${e.message}; last checkpoint: ${where}${last ? `; continue with --resume ${last.file}` : ''}`;
  return e;
}

/** A checkpoint file and the step it holds. */
interface Checkpoint {
  file: string;
  step: number;
}

/** Progress bar updates, plain step lines when stderr is not a terminal, validation lines. */
function reportEvent(
  e: RunEvent,
  ctx: { io: CommandIo; progress: Progress; cfg: TrainConfig; startStep: number; classes: readonly string[] },
): void {
  const { io, cfg } = ctx;
  if (e.kind === 'class-weights') {
    const list = e.weights.map((w, c) => `${ctx.classes[c]} ${w.toFixed(3)}`).join(', ');
    io.out(`class weights (${cfg.classWeighting}, offset ${cfg.classWeightOffset}): ${list}\n`);
    return;
  }
  if (e.kind === 'validation') {
    io.out(`validation at step ${e.step}: mIoU ${(100 * (e.result.segmentation?.miou ?? NaN)).toFixed(2)} %\n`);
    return;
  }
  ctx.progress.event(e);
  if (e.kind !== 'step' || process.stderr.isTTY) return;
  if (e.step % Math.max(1, Math.floor(cfg.steps / 20)) === 0 || e.step === cfg.steps) {
    const rate = (e.step - ctx.startStep) / e.seconds;
    const gnorm = e.losses.gradNorm !== undefined ? ` grad-norm ${e.losses.gradNorm.toPrecision(3)}` : '';
    io.out(
      `step ${e.step}/${cfg.steps} loss ${e.losses.loss.toFixed(4)} lr ${e.losses.learningRate.toExponential(2)}${gnorm} ${rate.toFixed(2)} step/s eta ${((cfg.steps - e.step) / rate).toFixed(0)} s\n`,
    );
  }
}
