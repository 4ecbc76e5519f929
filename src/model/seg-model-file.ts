/**
 * A segmentation model (extractor + head) and, for checkpoints, its training state ↔ the `.gmmseg` model file.
 *
 * Flat config keys: `headKind`, `extractorKind`, the GMM keys (GMM head), `extractor.<key>` for the extractor's
 * config and `train.<key>` for the training config used. Tensors: `extractor.<param>`, `extractor.state.<name>`
 * (batch-norm statistics), the head's (`head.*`, `gmm.*`), and in checkpoints `optimizer.m.<var>`, `optimizer.v.<var>`,
 * `optimizer.step` and `train.step`.
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '../errors.js';
import { loadSoftmaxHead, type SoftmaxHead } from '../nn/softmax-head.js';
import type { ConfigValue, Extractor } from '../nn/types.js';
import type { AdamWState } from '../train/adamw.js';
import type { HeadState } from '../gmm/head.js';
import { createRunningMemory } from '../gmm/running-stats.js';
import { headFromModel, headStateFromModel, headTensors } from './head-model.js';
import type { ModelFile, NamedTensor } from './model-types.js';
import type { SegHead, SegModel } from './seg-model.js';

/** Rebuilds an extractor of one kind from its config and tensors (params and state, without prefixes). */
export type ExtractorLoader = (config: Record<string, ConfigValue>, tensors: Record<string, tf.Tensor>) => Promise<Extractor>;

/** Extra sections of a saved model. */
export interface SaveOptions {
  preprocessing?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  calibration?: Record<string, unknown>;
  train?: Record<string, unknown>;
  /** Checkpoint content: optimizer state and training step (the GMM memory is saved with the head state). */
  checkpoint?: { step: number; optimizer: AdamWState };
}

function named(t: tf.Tensor): NamedTensor {
  return t.dtype === 'int32' ? { dtype: 'int32', shape: [...t.shape], data: Int32Array.from(t.dataSync()) } : { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync()) };
}

/** The model file of a segmentation model (with the training state when `opts.checkpoint` is given). */
export function segModelToFile(model: SegModel, opts: SaveOptions = {}): ModelFile {
  const ex = model.extractor;
  const config: Record<string, unknown> = { headKind: model.head.kind, extractorKind: ex.kind };
  for (const [k, v] of Object.entries(ex.config)) config[`extractor.${k}`] = v;
  for (const [k, v] of Object.entries(opts.train ?? {})) config[`train.${k}`] = v;
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(ex.params)) tensors[`extractor.${k}`] = named(v);
  for (const [k, v] of Object.entries(ex.state)) tensors[`extractor.state.${k}`] = named(v);
  if (model.head.kind === 'gmm') {
    Object.assign(config, model.head.state.config);
    Object.assign(tensors, headTensors(model.head.state, opts.checkpoint !== undefined));
  } else {
    Object.assign(config, model.head.head.config);
    for (const [k, v] of Object.entries(model.head.head.params)) tensors[`head.${k}`] = named(v);
  }
  if (opts.checkpoint) {
    const { step, optimizer } = opts.checkpoint;
    tensors['train.step'] = { dtype: 'int32', shape: [], data: Int32Array.of(step) };
    tensors['optimizer.step'] = { dtype: 'int32', shape: [], data: Int32Array.of(optimizer.step) };
    for (const [k, v] of Object.entries(optimizer.m)) tensors[`optimizer.m.${k}`] = named(v);
    for (const [k, v] of Object.entries(optimizer.v)) tensors[`optimizer.v.${k}`] = named(v);
  }
  return { config, classes: [...model.classes], preprocessing: opts.preprocessing ?? {}, metrics: opts.metrics ?? {}, calibration: opts.calibration ?? {}, tensors };
}

/** Loaded model, plus the checkpoint state when the file has one. */
export interface LoadedSegModel {
  model: SegModel;
  checkpoint?: { step: number; optimizer: AdamWState };
  train: Record<string, unknown>;
}

/**
 * Rebuilds a model (trainable variables when `trainable`) from a decoded file.
 * @param loaders extractor kind → loader (the one deserialisation registry)
 */
export async function segModelFromFile(file: ModelFile, loaders: Record<string, ExtractorLoader>, trainable = false): Promise<LoadedSegModel> {
  const headKind = file.config['headKind'];
  const kind = String(file.config['extractorKind']);
  const loader = loaders[kind];
  if (headKind !== 'gmm' && headKind !== 'softmax') throw new FormatError(`model config 'headKind' is ${JSON.stringify(headKind)}; expected 'gmm' or 'softmax'`);
  if (!loader) throw new FormatError(`model uses extractor '${kind}', which this build cannot load; known: ${Object.keys(loaders).join(', ')}`);
  const exConfig: Record<string, ConfigValue> = {};
  const train: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(file.config)) {
    if (k.startsWith('extractor.')) exConfig[k.slice(10)] = v as ConfigValue;
    if (k.startsWith('train.')) train[k.slice(6)] = v;
  }
  const exTensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith('extractor.')) exTensors[k.startsWith('extractor.state.') ? k.slice(16) : k.slice(10)] = tf.tensor(t.data, t.shape, t.dtype === 'uint8' ? 'int32' : t.dtype);
  const extractor = await loader(exConfig, exTensors);
  Object.values(exTensors).forEach((t) => t.dispose());
  const checkpointed = file.tensors['train.step'] !== undefined;
  let head: SegHead;
  if (headKind === 'gmm') {
    head = { kind: 'gmm', state: checkpointed ? headStateFromModel(file, trainable) : inferenceHeadState(file, trainable) };
  } else head = { kind: 'softmax', head: softmaxFromFile(file, trainable) };
  if (extractor.embedDim !== (headKind === 'gmm' ? Number(file.config['embedDim']) : extractor.embedDim)) throw new FormatError(`model head expects embedding size ${String(file.config['embedDim'])} but its extractor produces ${extractor.embedDim}`);
  const model: SegModel = { classes: [...file.classes], extractor, head };
  if (!checkpointed) return { model, train };
  return { model, train, checkpoint: { step: scalar(file, 'train.step'), optimizer: optimizerState(file) } };
}

function softmaxFromFile(file: ModelFile, trainable: boolean): SoftmaxHead {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith('head.')) tensors[k.slice(5)] = tf.tensor(t.data, t.shape, 'float32');
  try {
    const head = loadSoftmaxHead({ embedDim: file.config['embedDim'], classes: file.config['classes'] }, tensors);
    if (!trainable) for (const v of Object.values(head.params)) v.trainable = false;
    return head;
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
}

/**
 * An inference model has no saved memory: it gets neutral queue-free running statistics (O(C·K·D)), so it can serve
 * predictions and, if ever trained further, starts its memory afresh instead of carrying a C·K·M·D queue around.
 */
function inferenceHeadState(file: ModelFile, trainable: boolean): HeadState {
  const head = headFromModel(file, trainable);
  const { classes: C, componentsPerClass: K, embedDim: D, memoryPerComponent: M } = head.config;
  const memory = createRunningMemory(C * K, M, D);
  return { ...head, memory, memoryVersion: memory.version, step: 0 };
}

function optimizerState(file: ModelFile): AdamWState {
  const m: Record<string, tf.Tensor> = {};
  const v: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    if (k.startsWith('optimizer.m.')) m[k.slice(12)] = tf.tensor(t.data, t.shape, 'float32');
    if (k.startsWith('optimizer.v.')) v[k.slice(12)] = tf.tensor(t.data, t.shape, 'float32');
  }
  return { step: scalar(file, 'optimizer.step'), m, v };
}

function scalar(file: ModelFile, name: string): number {
  const t = file.tensors[name];
  if (!t || t.dtype !== 'int32' || t.data.length !== 1) throw new FormatError(`checkpoint tensor '${name}' missing or not an int32 scalar`);
  return t.data[0] as number;
}
