/**
 * Final refit of a trained GMM head: with the extractor frozen at its final weights, embed the labelled pixels of a
 * dataset exactly as inference does (whole image resized to the size multiple; labels picked at the feature grid by
 * PyTorch-nearest), keep a seeded uniform sample of at most `perClass` rows per class, and refit each class's mixture
 * by Sinkhorn EM ({@link refitClassMixture}). Classes with fewer than K sampled rows keep their online parameters.
 *
 * A deliberate addition to the reference (which uses the online statistics as they are at the end of training); see the
 * README's measurement. Pure with respect to the model: returns a new model sharing the extractor and head norms.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, RgbImage } from '../data/sample.js';
import { IGNORE_INDEX } from '../constants.js';
import { gmmForward, headDensityTensors } from '../gmm/forward.js';
import type { HeadState } from '../gmm/head.js';
import { disposeDensityTensors, type DensityTensors } from '../gmm/log-density.js';
import { ValueError } from '../errors.js';
import { classRows, createClassReservoir, offerRows } from '../gmm/class-reservoir.js';
import { nearestResizeLabels } from '../gmm/labels.js';
import { refitClassMixture } from '../gmm/refit.js';
import { sampleIndices } from '../data/sample-indices.js';
import { wholeImageInput } from '../infer/predict.js';
import type { SegModel } from '../model/seg-model.js';
import { createRng } from '../random.js';

/** Settings of {@link refitGmmHead}. */
export interface RefitHeadOptions {
  /** Most sampled rows per class (uniform reservoir over all labelled pixels of the set). */
  perClass: number;
  /** Most images embedded: a seeded uniform sample of the set ({@link sampleIndices}; 0 or omitted: every image). */
  maxImages?: number;
  /** EM iterations. */
  iterations: number;
  /** Variance floor of the refit (σ = sqrt(v + floor)); the head's own `stdFloorVariance` when omitted. */
  stdFloorVariance?: number;
  seed: number;
  /**
   * Sample only pixels the model classifies correctly (default true), as the online memory does: boundary and
   * confused pixels would widen the mixtures and blunt the likelihood.
   */
  correctOnly?: boolean;
  /** Progress callback (images done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** What the refit did. */
export interface RefitReport {
  /** Labelled feature-grid pixels seen per class. */
  pixelsPerClass: number[];
  /** Rows the mixtures were fitted on per class (0: kept its online parameters). */
  rowsPerClass: number[];
}

/** Refits every class's mixture of a GMM model on `ds` (labelled images); returns the new model and a report. */
export async function refitGmmHead(
  model: SegModel,
  ds: Dataset,
  opts: RefitHeadOptions,
): Promise<{ model: SegModel; report: RefitReport }> {
  if (model.head.kind !== 'gmm')
    throw new ValueError('refitGmmHead: the model has a softmax head; only a GMM head can be refitted');
  const state = model.head.state;
  const { classes: C, componentsPerClass: K, embedDim: D } = state.config;
  if (ds.classes.length !== C)
    throw new ValueError(`refitGmmHead: dataset '${ds.name}' has ${ds.classes.length} classes, the model ${C}`);
  const rng = createRng(opts.seed);
  const res = createClassReservoir(C, D, opts.perClass);
  const dt = headDensityTensors(state);
  try {
    const images = sampleIndices(ds.length, opts.maxImages ?? 0, rng);
    for (const [done, i] of images.entries()) {
      const s = await ds.get(i);
      const { feats, pred, h, w } = embedImage(model, state, dt, s.image);
      const labels = nearestResizeLabels(s.label.data, 1, s.image.height, s.image.width, h, w);
      if (opts.correctOnly ?? true)
        for (let p = 0; p < labels.length; p++) if (labels[p] !== pred[p]) labels[p] = IGNORE_INDEX;
      offerRows(res, feats, labels, rng);
      opts.onProgress?.(done + 1, images.length);
    }
  } finally {
    disposeDensityTensors(dt);
  }
  const means = new Float32Array(state.gmm.means);
  const stds = new Float32Array(state.gmm.stds);
  const rowsPerClass: number[] = [];
  const refit = {
    componentsPerClass: K,
    iterations: opts.iterations,
    stdFloorVariance: opts.stdFloorVariance ?? state.config.stdFloorVariance,
    sinkhorn: { iterations: state.config.sinkhornIterations, epsilon: state.config.sinkhornEpsilon },
  };
  for (let c = 0; c < C; c++) {
    const x = classRows(res, c);
    const n = x.length / D;
    rowsPerClass.push(n >= K ? n : 0);
    if (n < K) continue;
    const fit = refitClassMixture(x, D, refit, rng);
    means.set(fit.means, c * K * D);
    stds.set(fit.stds, c * K * D);
  }
  const head = { kind: 'gmm' as const, state: { ...state, gmm: { means, stds } } };
  return { model: { ...model, head }, report: { pixelsPerClass: Array.from(res.seen), rowsPerClass } };
}

/**
 * One image through the extractor and the head's forward as inference runs them: the embedding (feature LayerNorm +
 * L2) [h·w, D], the predicted class at the feature grid [h·w] and the grid size. `dt`: the head's density operands,
 * built once per refit.
 */
function embedImage(
  model: SegModel,
  state: HeadState,
  dt: DensityTensors,
  image: RgbImage,
): { feats: Float32Array; pred: Int32Array; h: number; w: number } {
  const input = wholeImageInput(image, model.extractor.sizeMultiple);
  const [e, p, h, w] = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(input.data), [1, input.height, input.width, 3]);
    const f = model.extractor.forward(x, { training: false });
    const out = gmmForward(state, tf.reshape(f, [-1, f.shape[3]]) as tf.Tensor2D, dt, 'inference');
    return [out.embedded, tf.argMax(out.logits, -1), f.shape[1], f.shape[2]] as const;
  });
  const feats = e.dataSync() as Float32Array; // read outside the tidy: a typed array returned from it gets walked
  const pred = Int32Array.from(p.dataSync());
  tf.dispose([e, p]);
  return { feats, pred, h, w };
}
