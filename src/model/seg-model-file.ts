/**
 * A segmentation model (extractor + head) and, for checkpoints, its training state ↔ the `.gmmseg` model file.
 *
 * Sections (typed in `sections.ts`): `config` = `{ head: {kind, config}, extractor: {kind, config}, train? }`,
 * `calibration`, `preprocessing` (derived from the extractor), `metrics`. Tensors: `extractor.<param>`,
 * `extractor.state.<name>` (batch-norm statistics), the head's (`head.*`, `gmm.*`), and in checkpoints the auxiliary
 * classifier's (`aux.*`, when training with deep supervision), `optimizer.m.<var>`, `optimizer.v.<var>`,
 * `optimizer.step`, `train.step` and, when the run averages weights, `average.steps` + `average.<tensor>`. Files of
 * the older flat-config layout load too.
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '../errors.js';
import { EXTRACTOR_FAMILIES, type ExtractorLoader } from '../nn/registry.js';
import { loadSoftmaxHead, type SoftmaxHead } from '../nn/softmax-head.js';
import type { Extractor } from '../nn/types.js';
import type { HeadState } from '../gmm/head.js';
import { createRunningMemory } from '../gmm/running-stats.js';
import { parseWith } from '../validation.js';
import { headFromModel, headStateFromModel, headTensors } from './head-model.js';
import type { ModelFile, NamedTensor } from './model-types.js';
import {
  calibrationSchema,
  INPUT_ENCODING,
  isSingleView,
  parseCalibration,
  parseModelConfig,
  parsePreprocessing,
  type CalibrationRecord,
  type HeadSection,
  type ModelConfig,
  type ModelSections,
  type PreprocessingRecord,
  type ViewsRecord,
  viewsSchema,
} from './sections.js';
import type { SegHead, SegModel } from './seg-model.js';

export type { ExtractorLoader } from '../nn/registry.js';

/** Optimizer state saved in a checkpoint: step count and first/second moments per variable name. */
export interface OptimizerSnapshot {
  step: number;
  m: Record<string, tf.Tensor>;
  v: Record<string, tf.Tensor>;
}

/**
 * A running mean of model tensors (`train/weight-average.ts`): snapshots averaged, first and last step, and the mean
 * per tensor name of the model file.
 */
export interface AverageSnapshot {
  count: number;
  fromStep: number;
  toStep: number;
  tensors: Record<string, tf.Tensor>;
}

/** Training state saved in a checkpoint (the GMM memory is saved with the head state). */
export interface CheckpointState {
  step: number;
  optimizer: OptimizerSnapshot;
  /** The weight average of the run so far, when it averages weights. */
  average?: AverageSnapshot;
}

/** Extra sections of a saved model. */
export interface SaveOptions {
  metrics?: Record<string, unknown>;
  calibration?: CalibrationRecord;
  /** The training config used (stored as the config's `train` part). */
  train?: Record<string, unknown>;
  /** Checkpoint content: optimizer state and training step. */
  checkpoint?: CheckpointState;
  /** The test-time views to predict with by default (stored unless one view at scale 1). */
  views?: ViewsRecord;
}

/** Loaders by extractor kind, from the registry (the one deserialisation table). */
export const EXTRACTOR_LOADERS: Readonly<Record<string, ExtractorLoader>> = Object.fromEntries(
  Object.values(EXTRACTOR_FAMILIES).map((f) => [f.kind, f.load]),
);

function named(t: tf.Tensor): NamedTensor {
  const shape = [...t.shape];
  if (t.dtype === 'int32') return { dtype: 'int32', shape, data: Int32Array.from(t.dataSync()) };
  return { dtype: 'float32', shape, data: Float32Array.from(t.dataSync()) };
}

/** What an extractor expects as input. */
export function preprocessingRecord(extractor: Extractor): PreprocessingRecord {
  return { input: INPUT_ENCODING, sizeMultiple: extractor.sizeMultiple, stride: extractor.stride };
}

/** The nested config of a model. */
export function modelConfig(model: SegModel, train?: Record<string, unknown>): ModelConfig {
  const head: HeadSection =
    model.head.kind === 'gmm'
      ? { kind: 'gmm', config: model.head.state.config }
      : { kind: 'softmax', config: model.head.head.config };
  const extractor = { kind: model.extractor.kind, config: { ...model.extractor.config } };
  const config: ModelConfig = { head, extractor };
  if (train !== undefined) config.train = { ...train };
  return config;
}

/** The model file of a segmentation model (with the training state when `opts.checkpoint` is given). */
export function segModelToFile(model: SegModel, opts: SaveOptions = {}): ModelFile {
  const ex = model.extractor;
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(ex.params)) tensors[`extractor.${k}`] = named(v);
  for (const [k, v] of Object.entries(ex.state)) tensors[`extractor.state.${k}`] = named(v);
  if (model.head.kind === 'gmm') Object.assign(tensors, headTensors(model.head.state, opts.checkpoint !== undefined));
  else for (const [k, v] of Object.entries(model.head.head.params)) tensors[`head.${k}`] = named(v);
  if (opts.checkpoint) {
    for (const [k, v] of Object.entries(model.aux?.params ?? {})) tensors[`aux.${k}`] = named(v);
    const { step, optimizer } = opts.checkpoint;
    tensors['train.step'] = { dtype: 'int32', shape: [], data: Int32Array.of(step) };
    tensors['optimizer.step'] = { dtype: 'int32', shape: [], data: Int32Array.of(optimizer.step) };
    for (const [k, v] of Object.entries(optimizer.m)) tensors[`optimizer.m.${k}`] = named(v);
    for (const [k, v] of Object.entries(optimizer.v)) tensors[`optimizer.v.${k}`] = named(v);
    const avg = opts.checkpoint.average;
    if (avg) {
      const steps = Int32Array.of(avg.count, avg.fromStep, avg.toStep);
      tensors['average.steps'] = { dtype: 'int32', shape: [3], data: steps };
      for (const [k, v] of Object.entries(avg.tensors)) tensors[`average.${k}`] = named(v);
    }
  }
  const calibration = opts.calibration ? parseWith(calibrationSchema, opts.calibration, 'invalid calibration') : {};
  return {
    config: modelConfig(model, opts.train),
    classes: [...model.classes],
    preprocessing: { ...preprocessingRecord(ex), ...(storedViews(opts.views) ?? {}) },
    metrics: opts.metrics ?? {},
    calibration: { ...calibration },
    tensors,
  };
}

/** `{views}` to store, or undefined for the default single view at scale 1. */
function storedViews(views: ViewsRecord | undefined): { views: ViewsRecord } | undefined {
  if (!views || isSingleView(views)) return undefined;
  return { views: parseWith(viewsSchema, { scales: [...views.scales], flip: views.flip }, 'invalid views') };
}

/** The typed sections of a decoded file (older flat configs converted). Throws FormatError. */
export function modelSections(file: ModelFile): ModelSections {
  const out: ModelSections = { config: parseModelConfig(file.config) };
  const calibration = parseCalibration(file.calibration);
  const preprocessing = parsePreprocessing(file.preprocessing);
  if (calibration) out.calibration = calibration;
  if (preprocessing) out.preprocessing = preprocessing;
  return out;
}

/** Loaded model, plus the checkpoint state when the file has one. */
export interface LoadedSegModel {
  model: SegModel;
  checkpoint?: CheckpointState;
  /** The stored training config (empty when none). */
  train: Record<string, unknown>;
  sections: ModelSections;
}

/**
 * Rebuilds a model (trainable variables when `trainable`) from a decoded file.
 * @param loaders extractor kind → loader (default: the registry's)
 */
export async function segModelFromFile(
  file: ModelFile,
  loaders: Readonly<Record<string, ExtractorLoader>> = EXTRACTOR_LOADERS,
  trainable = false,
): Promise<LoadedSegModel> {
  const sections = modelSections(file);
  const { head: headCfg, extractor: exCfg } = sections.config;
  const loader = Object.hasOwn(loaders, exCfg.kind) ? loaders[exCfg.kind] : undefined;
  if (!loader) {
    const known = Object.keys(loaders).join(', ');
    throw new FormatError(`model uses extractor '${exCfg.kind}', which this build cannot load; known: ${known}`);
  }
  const exTensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (!k.startsWith('extractor.')) continue;
    const name = k.slice(k.startsWith('extractor.state.') ? 'extractor.state.'.length : 'extractor.'.length);
    exTensors[name] = tf.tensor(t.data, t.shape, t.dtype === 'uint8' ? 'int32' : t.dtype);
  }
  const extractor = await loader(exCfg.config, exTensors);
  Object.values(exTensors).forEach((t) => t.dispose());
  const checkpointed = file.tensors['train.step'] !== undefined;
  const headFile: ModelFile = { ...file, config: { ...headCfg.config } };
  let head: SegHead;
  if (headCfg.kind === 'gmm') {
    const state = checkpointed ? headStateFromModel(headFile, trainable) : inferenceHeadState(headFile, trainable);
    head = { kind: 'gmm', state };
  } else head = { kind: 'softmax', head: softmaxFromFile(headFile, 'head.', headFile.config, trainable) };
  if (extractor.embedDim !== headCfg.config.embedDim) {
    const want = headCfg.config.embedDim;
    throw new FormatError(`model head expects embedding size ${want} but its extractor produces ${extractor.embedDim}`);
  }
  const model: SegModel = { classes: [...file.classes], extractor, head };
  const train = sections.config.train ?? {};
  if (!checkpointed) return { model, train, sections };
  const aux = auxFromFile(file, trainable);
  if (aux) model.aux = aux;
  const checkpoint: CheckpointState = { step: scalar(file, 'train.step'), optimizer: optimizerState(file) };
  const average = averageState(file);
  if (average) checkpoint.average = average;
  return { model, train, sections, checkpoint };
}

/** A linear classifier stored under `prefix` (`head.` or `aux.`), with its config. */
function softmaxFromFile(file: ModelFile, prefix: string, config: unknown, trainable: boolean): SoftmaxHead {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (k.startsWith(prefix)) tensors[k.slice(prefix.length)] = tf.tensor(t.data, t.shape, 'float32');
  }
  try {
    const head = loadSoftmaxHead(config as Record<string, unknown>, tensors);
    if (!trainable) for (const v of Object.values(head.params)) v.trainable = false;
    return head;
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
}

/** A checkpoint's auxiliary classifier (`aux.conv_seg.*`, sized from its weight [1, 1, auxDim, C]), if it has one. */
function auxFromFile(file: ModelFile, trainable: boolean): SoftmaxHead | undefined {
  const weight = file.tensors['aux.conv_seg.weight'];
  if (!weight) return undefined;
  return softmaxFromFile(file, 'aux.', { embedDim: weight.shape[2], classes: weight.shape[3] }, trainable);
}

/**
 * An inference model has no saved memory: it gets neutral queue-free running statistics (O(C·K·D)), so it can serve
 * predictions and, if ever trained further, starts its memory afresh instead of carrying a C·K·M·D queue around.
 */
function inferenceHeadState(file: ModelFile, trainable: boolean): HeadState {
  const head = headFromModel(file, trainable);
  const { classes: C, componentsPerClass: K, embedDim: D, memoryPerComponent: M } = head.config;
  const memory = createRunningMemory(C * K, M, D, head.config.memoryInit);
  return { ...head, memory, memoryVersion: memory.version, step: 0 };
}

function optimizerState(file: ModelFile): OptimizerSnapshot {
  const m: Record<string, tf.Tensor> = {};
  const v: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (k.startsWith('optimizer.m.')) m[k.slice('optimizer.m.'.length)] = tf.tensor(t.data, t.shape, 'float32');
    if (k.startsWith('optimizer.v.')) v[k.slice('optimizer.v.'.length)] = tf.tensor(t.data, t.shape, 'float32');
  }
  return { step: scalar(file, 'optimizer.step'), m, v };
}

/** A checkpoint's weight average (`average.steps` = [count, fromStep, toStep], `average.<tensor>`), if it has one. */
function averageState(file: ModelFile): AverageSnapshot | undefined {
  const steps = file.tensors['average.steps'];
  if (!steps) return undefined;
  if (steps.dtype !== 'int32' || steps.data.length !== 3 || !((steps.data[0] as number) > 0))
    throw new FormatError("checkpoint tensor 'average.steps' is not int32 [count > 0, fromStep, toStep]");
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (!k.startsWith('average.') || k === 'average.steps') continue;
    if (t.dtype !== 'float32') throw new FormatError(`checkpoint tensor '${k}' is not float32`);
    tensors[k.slice('average.'.length)] = tf.tensor(t.data, t.shape, 'float32');
  }
  const [count, fromStep, toStep] = Array.from(steps.data) as [number, number, number];
  return { count, fromStep, toStep, tensors };
}

function scalar(file: ModelFile, name: string): number {
  const t = file.tensors[name];
  if (!t || t.dtype !== 'int32' || t.data.length !== 1)
    throw new FormatError(`checkpoint tensor '${name}' missing or not an int32 scalar`);
  return t.data[0] as number;
}
