/**
 * Prediction for one image: whole-image (resize to a multiple of the extractor's size multiple) or sliding-window
 * (windows of `window` px with `stride`, logits and class scores averaged over overlaps before any softmax, as the
 * reference's slide mode). Outputs at the original image size: class map, logits-derived and likelihood-derived
 * anomaly scores. Pure: the model is not modified.
 */
import * as tf from '@tensorflow/tfjs';
import { resizeImageBilinear } from '../data/augment.js';
import type { RgbImage } from '../data/sample.js';
import { ValueError } from '../errors.js';
import { headOutputs, type SegModel } from '../model/seg-model.js';

/** Anomaly scores a user can compare (higher = more anomalous). */
export type AnomalyScoreName = 'gmm' | 'msp' | 'maxLogit' | 'energy';

/** Prediction settings. */
export interface PredictOptions {
  mode: 'whole' | 'slide';
  /** Slide mode: window size [h, w] (multiples of the size multiple). */
  window?: readonly [number, number];
  /** Slide mode: stride [y, x]. */
  stride?: readonly [number, number];
  /** Also return per-class log-likelihood maps (GMM head). */
  classLikelihoods?: boolean;
}

/** One image's prediction at its original size. */
export interface Prediction {
  width: number;
  height: number;
  /** [H, W] argmax class. */
  classMap: Uint8Array;
  /** Score name → [H, W] anomaly score. GMM: −max_c log p(x|c); msp: −max softmax; maxLogit: −max logit; energy: −logsumexp. */
  scores: Partial<Record<AnomalyScoreName, Float32Array>>;
  /** [H, W, C] class log-likelihoods (GMM head, when asked). */
  classLikelihoods?: Float32Array;
}

/** Predicts one RGB image. */
export function predictImage(model: SegModel, image: RgbImage, opts: PredictOptions = { mode: 'whole' }): Prediction {
  const { logits, classScores } = opts.mode === 'whole' ? wholeMaps(model, image) : slideMaps(model, image, opts);
  try {
    return tf.tidy(() => {
      const C = logits.shape[3];
      const out: Prediction = {
        width: image.width,
        height: image.height,
        classMap: Uint8Array.from(tf.argMax(logits, -1).dataSync()),
        scores: {},
      };
      const flat = tf.reshape(logits, [-1, C]);
      out.scores.msp = Float32Array.from(tf.neg(tf.max(tf.softmax(flat), -1)).dataSync());
      out.scores.maxLogit = Float32Array.from(tf.neg(tf.max(flat, -1)).dataSync());
      out.scores.energy = Float32Array.from(tf.neg(tf.logSumExp(flat, -1)).dataSync());
      if (classScores) {
        out.scores.gmm = Float32Array.from(tf.neg(tf.max(classScores, -1)).dataSync());
        if (opts.classLikelihoods) out.classLikelihoods = Float32Array.from(classScores.dataSync());
      }
      return out as unknown as tf.TensorContainer;
    }) as unknown as Prediction;
  } finally {
    logits.dispose();
    classScores?.dispose();
  }
}

/** Maps upsampled to the image size: logits [1, H, W, C] and, for the GMM head, class scores [1, H, W, C]. */
/** Whole-image mode's network input: the image resized (bilinear) to the nearest multiple of `multiple` per side. */
export function wholeImageInput(image: RgbImage, multiple: number): RgbImage {
  const h = Math.max(multiple, Math.round(image.height / multiple) * multiple);
  const w = Math.max(multiple, Math.round(image.width / multiple) * multiple);
  return h === image.height && w === image.width ? image : resizeImageBilinear(image, w, h);
}

function wholeMaps(model: SegModel, image: RgbImage): { logits: tf.Tensor4D; classScores?: tf.Tensor4D } {
  return runUpsampled(model, wholeImageInput(image, model.extractor.sizeMultiple), [image.height, image.width]);
}

function runUpsampled(
  model: SegModel,
  input: RgbImage,
  size: [number, number],
): { logits: tf.Tensor4D; classScores?: tf.Tensor4D } {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(input.data), [1, input.height, input.width, 3]);
    const out = headOutputs(model.head, model.extractor.forward(x, { training: false }));
    const up = (t: tf.Tensor4D): tf.Tensor4D => tf.image.resizeBilinear(t, size, false, true);
    return (out.classScores
      ? { logits: up(out.logits), classScores: up(out.classScores) }
      : { logits: up(out.logits) }) as unknown as tf.TensorContainer;
  }) as unknown as { logits: tf.Tensor4D; classScores?: tf.Tensor4D };
}

function slideMaps(
  model: SegModel,
  image: RgbImage,
  opts: PredictOptions,
): { logits: tf.Tensor4D; classScores?: tf.Tensor4D } {
  const [wh, ww] = opts.window ?? [0, 0];
  const [sy, sx] = opts.stride ?? [0, 0];
  const m = model.extractor.sizeMultiple;
  if (!(wh > 0 && ww > 0 && wh % m === 0 && ww % m === 0))
    throw new ValueError(`predictImage: slide window must be positive multiples of ${m}, got [${wh}, ${ww}]`);
  if (!(sy > 0 && sx > 0)) throw new ValueError(`predictImage: slide stride must be positive, got [${sy}, ${sx}]`);
  if (image.height < wh || image.width < ww) return wholeMaps(model, image);
  const C = model.classes.length;
  const H = image.height;
  const W = image.width;
  const sumL = new Float32Array(H * W * C);
  const sumS = model.head.kind === 'gmm' ? new Float32Array(H * W * C) : undefined;
  const count = new Float32Array(H * W);
  for (const y0 of starts(H, wh, sy)) {
    for (const x0 of starts(W, ww, sx)) {
      const crop = cropRgb(image, y0, x0, wh, ww);
      const { logits, classScores } = runUpsampled(model, crop, [wh, ww]);
      addWindow(sumL, logits.dataSync() as Float32Array, y0, x0, wh, ww, W, C);
      if (sumS && classScores) addWindow(sumS, classScores.dataSync() as Float32Array, y0, x0, wh, ww, W, C);
      for (let y = 0; y < wh; y++)
        for (let x = 0; x < ww; x++) count[(y0 + y) * W + x0 + x] = (count[(y0 + y) * W + x0 + x] as number) + 1;
      logits.dispose();
      classScores?.dispose();
    }
  }
  const avg = (s: Float32Array): tf.Tensor4D =>
    tf.tensor4d(
      s.map((v, i) => v / (count[Math.floor(i / C)] as number)),
      [1, H, W, C],
    );
  return sumS ? { logits: avg(sumL), classScores: avg(sumS) } : { logits: avg(sumL) };
}

/** Window origins covering [0, size) with the last window flush with the end. */
function starts(size: number, win: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; ; s += stride) {
    if (s + win >= size) {
      out.push(size - win);
      break;
    }
    out.push(s);
  }
  return out;
}

function cropRgb(img: RgbImage, y0: number, x0: number, h: number, w: number): RgbImage {
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, data };
}

function addWindow(
  sum: Float32Array,
  win: Float32Array,
  y0: number,
  x0: number,
  h: number,
  w: number,
  W: number,
  C: number,
): void {
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < C; c++) {
        const i = ((y0 + y) * W + x0 + x) * C + c;
        sum[i] = (sum[i] as number) + (win[(y * w + x) * C + c] as number);
      }
}
