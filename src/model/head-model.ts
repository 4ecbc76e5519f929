/**
 * Converts the GMM head (plain data + LayerNorm tensors) to and from the `.gmmseg` model file's named tensors.
 *
 * Tensor names: `head.featNorm.weight` [D], `head.featNorm.bias` [D], `head.classNorm.weight` [C],
 * `head.classNorm.bias` [C], `gmm.means` [C, K, D], `gmm.stds` [C, K, D]; with the training state also
 * `gmm.memory` [C, K, M, D] + `gmm.memoryPointer` [C, K] + float64 sums as bytes `gmm.memorySum1/2` (queue), or
 * `gmm.runningMean1/2` (float64 [C, K, D] as bytes; running statistics), `gmm.memoryFilled` [C, K] (counted entries;
 * absent in older checkpoints, which all started full), and `gmm.step` [] (the iteration counter).
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError, GmmsegError } from '../errors.js';
import { DEFAULT_GMM_CONFIG, makeGmmConfig, type GmmConfig } from '../gmm/config.js';
import { makeNorms, type HeadModel, type HeadState } from '../gmm/head.js';
import { flattenQueue, queueFromBuffers, type ComponentMemory } from '../gmm/memory.js';
import type { ModelFile, NamedTensor } from './model-types.js';

const f32 = (shape: number[], data: Float32Array): NamedTensor => ({ dtype: 'float32', shape, data });

/** The head's tensors (and, with `withState`, its memory and counter) as named tensors. */
export function headTensors(head: HeadModel | HeadState, withState: boolean): Record<string, NamedTensor> {
  const { classes: C, componentsPerClass: K, embedDim: D } = head.config;
  const read = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync());
  const out: Record<string, NamedTensor> = {
    'head.featNorm.weight': f32([D], read(head.norms.featNormWeight)),
    'head.featNorm.bias': f32([D], read(head.norms.featNormBias)),
    'head.classNorm.weight': f32([C], read(head.norms.classNormWeight)),
    'head.classNorm.bias': f32([C], read(head.norms.classNormBias)),
    'gmm.means': f32([C, K, D], Float32Array.from(head.gmm.means)),
    'gmm.stds': f32([C, K, D], Float32Array.from(head.gmm.stds)),
  };
  if (withState && 'memory' in head)
    Object.assign(out, memoryTensors(head.memory, C, K, D), {
      'gmm.step': { dtype: 'int32', shape: [], data: Int32Array.of(head.step) },
    });
  return out;
}

function memoryTensors(mem: ComponentMemory, C: number, K: number, D: number): Record<string, NamedTensor> {
  if (mem.kind === 'queue') {
    // The float64 running sums are stored byte for byte so that a resumed run continues bit for bit.
    const bytes = (a: Float64Array): NamedTensor => ({
      dtype: 'uint8',
      shape: [a.length * 8],
      data: new Uint8Array(a.slice().buffer),
    });
    return {
      'gmm.memory': f32([C, K, mem.capacity, D], flattenQueue(mem)),
      'gmm.memoryPointer': { dtype: 'int32', shape: [C, K], data: Int32Array.from(mem.pointer) },
      'gmm.memorySum1': bytes(mem.sum1),
      'gmm.memorySum2': bytes(mem.sum2),
      'gmm.memoryFilled': filledTensor(mem.filled, C, K),
    };
  }
  // float64 moments stored byte for byte (exact resume)
  return {
    'gmm.runningMean1': { dtype: 'uint8', shape: [C * K * D * 8], data: new Uint8Array(mem.mean1.slice().buffer) },
    'gmm.runningMean2': { dtype: 'uint8', shape: [C * K * D * 8], data: new Uint8Array(mem.mean2.slice().buffer) },
    'gmm.memoryFilled': filledTensor(mem.filled, C, K),
  };
}

function filledTensor(filled: Int32Array, C: number, K: number): NamedTensor {
  return { dtype: 'int32', shape: [C, K], data: Int32Array.from(filled) };
}

/** `gmm.memoryFilled`, checked; a checkpoint written before it existed started full (the reference's random rows). */
function restoreFilled(file: ModelFile, C: number, K: number, M: number): Int32Array {
  const t = file.tensors['gmm.memoryFilled'];
  if (!t) return new Int32Array(C * K).fill(M);
  if (t.dtype !== 'int32' || t.data.length !== C * K)
    throw new FormatError(`checkpoint tensor 'gmm.memoryFilled' is not int32 [${C}, ${K}]`);
  const bad = Array.from(t.data).findIndex((f) => !(f >= 0 && f <= M));
  if (bad >= 0) throw new FormatError(`checkpoint tensor 'gmm.memoryFilled' has ${t.data[bad]} outside [0, ${M}]`);
  return Int32Array.from(t.data);
}

/** The GMM config stored in a model file's flat config (GMM keys only; other keys belong to other parts). */
export function gmmConfigFromModel(file: ModelFile): GmmConfig {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_GMM_CONFIG)) if (key in file.config) picked[key] = file.config[key];
  try {
    return makeGmmConfig(picked);
  } catch (e) {
    throw new FormatError(`model config: ${(e as Error).message}`);
  }
}

/**
 * Rebuilds the inference head from a decoded model file, checking every tensor's presence, dtype, shape and values.
 * @param trainableNorms make the LayerNorm parameters tf.Variables
 */
export function headFromModel(file: ModelFile, trainableNorms = false): HeadModel {
  const config = gmmConfigFromModel(file);
  const { classes: C, componentsPerClass: K, embedDim: D } = config;
  if (file.classes.length !== C)
    throw new FormatError(`model file lists ${file.classes.length} class names but its config has classes = ${C}`);
  const t = (name: string, shape: number[]): Float32Array => tensor(file, name, shape);
  const stds = t('gmm.stds', [C, K, D]);
  const bad = stds.findIndex((s) => !(s > 0) || !Number.isFinite(s));
  if (bad >= 0)
    throw new FormatError(`model tensor 'gmm.stds' has invalid standard deviation ${stds[bad]} at flat index ${bad}`);
  const norms = makeNorms(
    t('head.featNorm.weight', [D]),
    t('head.featNorm.bias', [D]),
    t('head.classNorm.weight', [C]),
    t('head.classNorm.bias', [C]),
    trainableNorms,
  );
  return { config, norms, gmm: { means: t('gmm.means', [C, K, D]), stds } };
}

/** Rebuilds a full training state (model + memory + counter) from a checkpoint written with `withState`. */
export function headStateFromModel(file: ModelFile, trainableNorms = false): HeadState {
  const head = headFromModel(file, trainableNorms);
  const { classes: C, componentsPerClass: K, embedDim: D, memoryPerComponent: M } = head.config;
  const stepT = file.tensors['gmm.step'];
  if (!stepT || stepT.dtype !== 'int32' || stepT.data.length !== 1)
    throw new FormatError(
      `model file has no training state ('gmm.step' missing): it is an inference model, not a checkpoint`,
    );
  let memory: ComponentMemory;
  const filled = restoreFilled(file, C, K, M);
  if (head.config.memoryKind === 'queue') {
    const ptrT = file.tensors['gmm.memoryPointer'];
    if (!ptrT || ptrT.dtype !== 'int32' || ptrT.data.length !== C * K)
      throw new FormatError(`checkpoint tensor 'gmm.memoryPointer' missing or not int32 [${C}, ${K}]`);
    try {
      const q = queueFromBuffers(tensor(file, 'gmm.memory', [C, K, M, D]), Int32Array.from(ptrT.data), M, D, filled);
      restoreSums(file, q.sum1, 'gmm.memorySum1');
      restoreSums(file, q.sum2, 'gmm.memorySum2');
      memory = q;
    } catch (e) {
      throw e instanceof GmmsegError ? new FormatError(`checkpoint memory: ${e.message}`) : e;
    }
  } else {
    const mean1 = new Float64Array(C * K * D);
    const mean2 = new Float64Array(C * K * D);
    restoreSums(file, mean1, 'gmm.runningMean1');
    restoreSums(file, mean2, 'gmm.runningMean2');
    if (!file.tensors['gmm.runningMean1'] || !file.tensors['gmm.runningMean2'])
      throw new FormatError(`checkpoint has no running-statistics memory ('gmm.runningMean1/2')`);
    memory = { kind: 'running', slots: C * K, capacity: M, dim: D, mean1, mean2, filled, version: 0 };
  }
  return { ...head, memory, memoryVersion: memory.version, step: stepT.data[0] as number };
}

/** A model file holding a GMM head. */
export function headModelFile(
  head: HeadModel | HeadState,
  classes: string[],
  extra: Partial<Omit<ModelFile, 'tensors' | 'classes'>> = {},
  withState = false,
): ModelFile {
  return {
    config: { ...(extra.config ?? {}), ...head.config },
    classes,
    preprocessing: extra.preprocessing ?? {},
    metrics: extra.metrics ?? {},
    calibration: extra.calibration ?? {},
    tensors: headTensors(head, withState),
  };
}

/** Refuses a model built for another number of classes or embedding size, saying which. */
export function assertCompatible(
  config: GmmConfig,
  expected: { classes?: number; embedDim?: number },
  what: string,
): void {
  if (expected.classes !== undefined && expected.classes !== config.classes)
    throw new FormatError(`${what} was built for ${config.classes} classes, but ${expected.classes} are needed here`);
  if (expected.embedDim !== undefined && expected.embedDim !== config.embedDim)
    throw new FormatError(
      `${what} has embedding size ${config.embedDim}, but the features here have ${expected.embedDim}`,
    );
}

/** Overwrites recomputed sums with the saved float64 bytes when present (older checkpoints keep the recomputation). */
function restoreSums(file: ModelFile, into: Float64Array, name: string): void {
  const t = file.tensors[name];
  if (!t) return;
  if (t.dtype !== 'uint8' || t.data.length !== into.length * 8)
    throw new FormatError(`checkpoint tensor '${name}' must be uint8 [${into.length * 8}]`);
  into.set(new Float64Array(Uint8Array.from(t.data).buffer));
}

function tensor(file: ModelFile, name: string, shape: number[]): Float32Array {
  const t = file.tensors[name];
  if (!t) throw new FormatError(`model file has no tensor '${name}'`);
  if (t.dtype !== 'float32') throw new FormatError(`model tensor '${name}' has dtype ${t.dtype}, expected float32`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))
    throw new FormatError(`model tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  return Float32Array.from(t.data);
}
