/**
 * Weight averaging of a run's tail (stochastic weight averaging, Izmailov et al. 2018, "Averaging Weights Leads to
 * Wider Optima and Better Generalization"): the running mean of the model's tensors over snapshots taken every
 * `weightAverageEvery` steps from step `weightAverageFromStep` on, which replaces the model at the end of the run.
 *
 * What is averaged: every extractor parameter and batch-norm running statistic (float32; the mean of the running
 * statistics stands in for SWA's extra pass over the data), the head's parameters (softmax classifier, or the GMM
 * head's LayerNorms) and the GMM's means and standard deviations (the mixtures follow the features, so they are
 * averaged with them). Not averaged: the GMM memory, the optimizer and the auxiliary classifier (training only). A
 * departure from the reference (which keeps the last step's weights); off by default, measured in the README.
 *
 * The running mean is m_n = m_{n−1} + (x − m_{n−1}) / n in float32, saved in checkpoints (`average.*`) so that a
 * resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '../errors.js';
import { headVariables, type SegModel } from '../model/seg-model.js';
import type { AverageSnapshot } from '../model/seg-model-file.js';

/** The running mean of a model's tensors over `count` snapshots (tensor names as in the model file). */
export type WeightAverage = AverageSnapshot;

/** Whether the state after `step` is a snapshot of the average (`from` 0 = averaging off). */
export function isAverageStep(step: number, from: number, every: number): boolean {
  return from > 0 && step >= from && (step - from) % every === 0;
}

/**
 * The tensors that are averaged, by file name: references to the model's variables, and fresh tensors of the GMM
 * means/stds (`owned`, to be disposed by the caller).
 */
function averagedTensors(model: SegModel): { tensors: Record<string, tf.Tensor>; owned: tf.Tensor[] } {
  const tensors: Record<string, tf.Tensor> = {};
  const owned: tf.Tensor[] = [];
  const ex = model.extractor;
  for (const [k, v] of Object.entries(ex.params)) tensors[`extractor.${k}`] = v;
  for (const [k, v] of Object.entries(ex.state)) if (v.dtype === 'float32') tensors[`extractor.state.${k}`] = v;
  Object.assign(tensors, headVariables(model.head));
  if (model.head.kind === 'gmm') {
    const { means, stds } = model.head.state.gmm;
    const means_ = tf.tensor1d(means);
    const stds_ = tf.tensor1d(stds);
    owned.push(means_, stds_);
    tensors['gmm.means'] = means_;
    tensors['gmm.stds'] = stds_;
  }
  return { tensors, owned };
}

/** Adds the model after `step` to the average (a new one when `avg` is undefined); `avg`'s tensors are consumed. */
export function accumulateAverage(avg: WeightAverage | undefined, model: SegModel, step: number): WeightAverage {
  const { tensors, owned } = averagedTensors(model);
  try {
    const count = (avg?.count ?? 0) + 1;
    const next: Record<string, tf.Tensor> = {};
    for (const [k, x] of Object.entries(tensors)) {
      const prev = avg?.tensors[k];
      if (avg && !prev) throw new FormatError(`weight average has no tensor '${k}' (the model changed its layout)`);
      if (prev && prev.size !== x.size)
        throw new FormatError(`weight average tensor '${k}' has ${prev.size} values, the model's ${x.size}`);
      next[k] = prev ? tf.tidy(() => tf.add(prev, tf.div(tf.sub(x, prev), count))) : tf.clone(x);
    }
    if (avg) Object.values(avg.tensors).forEach((t) => t.dispose());
    return { count, fromStep: avg?.fromStep ?? step, toStep: step, tensors: next };
  } finally {
    owned.forEach((t) => t.dispose());
  }
}

/**
 * The model with the averaged tensors: its variables are assigned in place (the input model is consumed), the GMM
 * head gets new means/stds. The average is disposed.
 */
export function applyAverage(model: SegModel, avg: WeightAverage): SegModel {
  const { tensors, owned } = averagedTensors(model);
  const value = (k: string): tf.Tensor => {
    const t = avg.tensors[k];
    if (!t) throw new FormatError(`weight average has no tensor '${k}' (the model changed its layout)`);
    const size = (tensors[k] as tf.Tensor).size;
    if (t.size !== size)
      throw new FormatError(`weight average tensor '${k}' has ${t.size} values, the model's ${size}`);
    return t;
  };
  const state = model.extractor.state;
  for (const [k, v] of Object.entries(tensors)) {
    if (k.startsWith('gmm.')) continue;
    if (v instanceof tf.Variable) v.assign(value(k));
    else {
      // a running statistic held as a plain tensor: replace it in the extractor's record
      const name = k.slice('extractor.state.'.length);
      state[name] = tf.clone(value(k));
      v.dispose();
    }
  }
  let out = model;
  if (model.head.kind === 'gmm') {
    const gmm = {
      means: Float32Array.from(value('gmm.means').dataSync()),
      stds: Float32Array.from(value('gmm.stds').dataSync()),
    };
    out = { ...model, head: { kind: 'gmm', state: { ...model.head.state, gmm } } };
  }
  owned.forEach((t) => t.dispose());
  Object.values(avg.tensors).forEach((t) => t.dispose());
  return out;
}
