/**
 * The option table of the command line: every command's flags, declared once with their kinds (parsers), help text
 * and defaults. A command adds its table with `addOptions(cmd, TABLE)` and reads typed values with
 * `readOptions(TABLE, raw)` inside `runUserCommand` (see option-table.ts). Groups shared by several commands
 * (engine, prediction mode, anomaly threshold and score, model file) are declared once here and spread into the
 * commands' tables.
 */
import { ENGINES, parseEngineName, type EngineName } from '../engine/engine.js';
import { IGNORE_INDEX } from '../constants.js';
import { DEFAULT_GMM_CONFIG } from '../gmm/config.js';
import { ANOMALY_SCORE_NAMES } from '../infer/anomaly-settings.js';
import { LOG_LEVELS } from '../server/options.js';
import { DEFAULT_TRAIN_CONFIG } from '../train/train-config.js';
import { configOptions } from './config-flags.js';
import { DATASETS } from './datasets.js';
import { extractorOptions } from './extractor-flags.js';
import {
  boolean,
  custom,
  integer,
  nonNegativeInt,
  number,
  oneOf,
  pair,
  path,
  positive,
  positiveInt,
  scaleList,
  text,
  textList,
} from './option-kinds.js';
import { option, toggle } from './option-table.js';
import { parseServiceUrl } from './service-url.js';

/** `--engine`: every command that computes. */
export const ENGINE_OPTIONS = {
  engine: option(
    custom<EngineName>('<name>', (t, flag) => parseEngineName(t, flag), `one of: ${ENGINES.join(', ')}`),
    'compute engine: torch (native) is the default when built, else wasm; env GMMSEG_ENGINE sets the default',
  ),
};

/** `--mode`, `--window`, `--stride`: commands that predict (see `predictSettings`). */
export const PREDICT_MODE_OPTIONS = {
  mode: option(oneOf(['whole', 'slide'] as const, '<m>'), 'predict the whole image or in sliding windows', {
    default: 'whole',
  }),
  window: option(pair('positive integer'), 'slide window, pixels (e.g. 352,480)'),
  stride: option(pair('positive integer'), 'slide stride, pixels (e.g. 240,320)'),
  scales: option(
    scaleList(4),
    "whole mode: average the outputs of the image at these input scales (e.g. 0.75,1,1.25,1.5; one forward each; default: the model's stored views, else 1)",
  ),
  flip: option(
    boolean(),
    "whole mode: also average the left-right mirrored views (doubles the forwards; default: the model's stored views, else false)",
  ),
};

/**
 * `--threshold`, `--score`: the anomaly overrides of `predict` and `serve`, checked here once (a finite number, a known
 * score); `anomalySettings` combines them with the model's calibration.
 */
export const ANOMALY_OPTIONS = {
  threshold: option(number('<t>'), 'anomaly threshold (default: the calibrated one stored in the model)'),
  score: option(
    oneOf(ANOMALY_SCORE_NAMES),
    'anomaly score (default: the calibrated one, else gmm for a GMM head, msp for softmax)',
  ),
};

/** `--model`: the model file a command reads. */
export const MODEL_OPTION = {
  model: option(path(), 'model file (.gmmseg)', { required: true }),
};

const DATASET_HELP = `dataset format (${Object.keys(DATASETS).join(', ')})`;

/** `gmmseg predict --model M IMAGE…`. */
export const PREDICT_OPTIONS = {
  ...MODEL_OPTION,
  out: option(path('<dir>'), 'output folder', { default: 'predictions' }),
  ...ANOMALY_OPTIONS,
  classLikelihoods: toggle('also write per-class log-likelihood maps (GMM head, .f32 raw [H, W, C])'),
  ...PREDICT_MODE_OPTIONS,
  ...ENGINE_OPTIONS,
};

/** `gmmseg eval --model M --dataset D [--anomaly-dataset A]`. */
export const EVAL_OPTIONS = {
  ...MODEL_OPTION,
  dataset: option(text('<name>'), `closed-set ${DATASET_HELP}`),
  root: option(path('<dir>'), 'closed-set dataset root', { default: '.' }),
  split: option(text('<name>'), 'closed-set split', { default: 'test' }),
  anomalyDataset: option(
    text('<name>'),
    'anomaly dataset (road-anomaly, fishyscapes-static, camvid-anomaly, digit-scenes, …)',
  ),
  anomalyRoot: option(path('<dir>'), 'anomaly dataset root (default: --root)'),
  out: option(path('<dir>'), 'write report.json, report.md, roc/pr curves here'),
  seed: option(integer(), 'seed of generated datasets', { default: 0 }),
  skipBad: toggle('leave out bad samples (reported)'),
  heldOut: option(textList('<names>'), 'classes held out by camvid-heldout (default: Pedestrian,Bicyclist)'),
  ...PREDICT_MODE_OPTIONS,
  ...ENGINE_OPTIONS,
};

/** `gmmseg serve --model M`: the CLI side of the service settings (`ServeOptions` holds their defaults). */
export const SERVE_OPTIONS = {
  ...MODEL_OPTION,
  port: option(integer({ min: 0, max: 65535 }), 'TCP port (0: any free port)', { default: 8080 }),
  host: option(text('<addr>'), 'address to listen on', { default: '127.0.0.1' }),
  maxBodyMb: option(positive(), 'largest request body, MiB', { defaultHelp: '20' }),
  maxPixels: option(positiveInt(), 'largest image, width × height pixels', { defaultHelp: '6000000' }),
  queue: option(nonNegativeInt(), 'requests that may wait (from arrival) besides those segmented; more get 503', {
    defaultHelp: '8',
  }),
  timeoutMs: option(positiveInt(), 'request timeout including the queue wait, ms', { defaultHelp: '60000' }),
  bodyTimeoutMs: option(positiveInt(), 'time to receive a whole request body; slower gets 408, ms', {
    defaultHelp: '20000',
  }),
  workers: option(positiveInt(), 'worker processes segmenting in parallel (each loads the model)', {
    defaultHelp: '1',
  }),
  workerRecycleMb: option(positive(), 'replace a worker whose memory grew by more than this, MiB', {
    defaultHelp: '512',
  }),
  ...ANOMALY_OPTIONS,
  webRoot: option(path('<dir>'), "folder of the web page (default: the package's src/web)"),
  corsOrigin: option(
    textList('<origins>'),
    "origins allowed to call the service from a browser (comma list, or '*'), e.g. a web-build copy's host",
  ),
  logLevel: option(oneOf(LOG_LEVELS, '<level>'), 'log level', { default: 'info' }),
  ...ENGINE_OPTIONS,
};

/** Anomaly-metric modes of `gmmseg metrics anomaly`. */
export const METRICS_MODES = ['exact', 'binned', 'smiyc'] as const;

/** Equal-width bins of `gmmseg metrics anomaly --mode binned`. */
export const DEFAULT_METRICS_BINS = 65536;

/** `gmmseg metrics anomaly --scores S.npy --labels L.npy`. */
export const METRICS_ANOMALY_OPTIONS = {
  scores: option(path(), 'anomaly scores .npy (float16/32/64, any shape; higher = more anomalous)', { required: true }),
  labels: option(path(), 'labels .npy (integer, same shape): 1 anomaly, 0 inlier, other values void', {
    required: true,
  }),
  mode: option(
    oneOf(METRICS_MODES, '<mode>'),
    'exact (Fishyscapes/sklearn), binned (streaming histogram), ' +
      'smiyc (SegmentMeIfYouCan float16 + 768 percentile bins per frame)',
    { default: 'exact' },
  ),
  bins: option(positiveInt(), 'number of equal-width bins for --mode binned', {
    defaultHelp: String(DEFAULT_METRICS_BINS),
  }),
  json: toggle('print one JSON object {"auroc","ap","fpr95"}'),
};

/** `gmmseg metrics miou --pred P.npy --labels L.npy --classes N`. */
export const METRICS_MIOU_OPTIONS = {
  pred: option(path(), 'predicted class indices .npy (integer)', { required: true }),
  labels: option(path(), 'ground-truth class indices .npy (integer, same shape)', { required: true }),
  classes: option(positiveInt(), 'number of classes C (labels and predictions in [0, C))', { required: true }),
  ignoreIndex: option(integer({}, '<k>'), 'label value excluded from the metrics', { default: IGNORE_INDEX }),
  json: toggle('print one JSON object {"miou","iou":[...],"accuracy"}'),
};

/** `gmmseg inspect FILE`. */
export const INSPECT_OPTIONS = {
  json: toggle('print the header as JSON'),
  verify: toggle('skip the data CRC check (read only the header; faster on large files)', { negate: true }),
};

/** `gmmseg web-build --out DIR`. */
export const WEB_BUILD_OPTIONS = {
  out: option(path('<dir>'), 'output folder (created; an earlier build there is replaced)', { required: true }),
  service: option(
    custom('<url>', (t) => parseServiceUrl(t)),
    'URL of the gmmseg service the page calls (default: the same origin as the page)',
    { default: '' },
  ),
};

/** `gmmseg train` (besides the config flags of {@link TRAIN_CONFIG_OPTIONS} and the engine flag). */
export const TRAIN_OPTIONS = {
  dataset: option(text('<name>'), DATASET_HELP, { required: true }),
  root: option(path('<dir>'), 'dataset root folder', { default: '.' }),
  split: option(text('<name>'), 'training split', { default: 'train' }),
  valSplit: option(text('<name>'), 'validation split (closed-set mIoU and threshold calibration)'),
  extractor: option(
    text('<name>'),
    'feature extractor: mbv3 (COCO MobileNetV3 + decoder; frozen unless --backbone-mode trainable), mbv2 (ImageNet MobileNetV2 1.4, fine-tuned, + decoder), deeplab, segformer, unet',
    {
      default: 'mbv3',
    },
  ),
  head: option(oneOf(['gmm', 'softmax'] as const, '<kind>'), 'classifier head', { default: 'gmm' }),
  out: option(path(), 'model file to write (.gmmseg)', { required: true }),
  checkpointDir: option(path('<dir>'), 'folder for checkpoints (default: beside --out)'),
  resume: option(path('<checkpoint>'), 'continue from a checkpoint file'),
  skipBad: toggle('leave out unreadable or inconsistent samples (reported)'),
  heldOut: option(textList('<names>'), 'classes held out by camvid-heldout (default: Pedestrian,Bicyclist)'),
  nproc: option(
    integer({ min: 1, max: 256 }),
    'data-parallel: start N local workers (threads split between them); with torchrun variables set (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) this process is one worker',
  ),
  distTimeout: option(positiveInt('<s>'), 'data-parallel: rendezvous and collective timeout, seconds', {
    default: 600,
  }),
};

/** The training config flags of `gmmseg train` (`--steps`, `--crop-size`, …): overrides of DEFAULT_TRAIN_CONFIG. */
export const TRAINING_CONFIG_OPTIONS = configOptions(DEFAULT_TRAIN_CONFIG, 'training', [], {
  predictScales: scaleList(4, '<value>'),
});

/** The GMM config flags of `gmmseg train` (`--mean-momentum`, `--embed-dim`, …): overrides of DEFAULT_GMM_CONFIG. */
export const GMM_CONFIG_OPTIONS = configOptions(DEFAULT_GMM_CONFIG, 'GMM', ['classes']);

/** The extractor setting flags of `gmmseg train` (`--channels`, `--width`, …; see extractor-flags.ts). */
export const EXTRACTOR_OPTIONS = extractorOptions();

/** The training, GMM and extractor config flags of `gmmseg train` (no key in two groups: one flag per setting). */
export const TRAIN_CONFIG_OPTIONS = disjoint(TRAINING_CONFIG_OPTIONS, GMM_CONFIG_OPTIONS, EXTRACTOR_OPTIONS);

/** The union of config tables; a key in two of them would make one flag set two settings, so it throws (a bug). */
function disjoint<T>(...tables: Record<string, T>[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const table of tables) {
    for (const [key, spec] of Object.entries(table)) {
      if (key in out) throw new Error(`option table: config key '${key}' is in two groups`);
      out[key] = spec;
    }
  }
  return out;
}

/** `gmmseg demo` (besides the engine flag). */
export const DEMO_OPTIONS = {
  out: option(path('<dir>'), 'output folder', { default: 'demo-out' }),
  quick: toggle('smaller budget (under 2 minutes): 120 + 20 steps, digits not yet recognised'),
  steps: option(positiveInt(), 'training steps of the softmax head (the GMM head continues for a sixth as many)'),
  trainImages: option(positiveInt(), 'training images (default: steps × 8, a new scene for every sample)'),
  testImages: option(positiveInt(), 'test, anomaly and calibration images'),
  seed: option(positiveInt(), 'random seed', { default: 1 }),
  progress: toggle('no progress bar', { negate: true }),
};
