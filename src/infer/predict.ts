/**
 * Prediction for one image: whole-image (resize to a multiple of the extractor's size multiple) or sliding-window
 * (windows of `window` px with `stride`, logits and class scores averaged over overlaps before any softmax, as the
 * reference's slide mode). Outputs at the original image size: class map, logits-derived and likelihood-derived
 * anomaly scores. Pure: the model is not modified. After the network everything runs on the engine
 * (pixel-outputs.ts: upsampling, softmax, scores and argmax in bands of rows, each output read back once); several
 * images of one size share a forward pass (`predictImages`).
 */
import * as tf from '@tensorflow/tfjs';
import { resizeImageBilinear } from '../data/augment.js';
import type { RgbImage } from '../data/sample.js';
import { ValueError } from '../errors.js';
import { headOutputs, segForward, type SegModel, type SegOutputs } from '../model/seg-model.js';
import { isMultiView, meanOfViews, viewMaps } from './multi-view.js';
import { pixelOutputs, upsampledBands, type BandSource, type PixelOutputOptions } from './pixel-outputs.js';

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
  /** Largest band of rows the per-pixel stage processes at once, pixels (default 2^19); bounds engine memory. */
  bandPixels?: number;
  /** Whole mode: network-input scales whose outputs are averaged (default [1]; multi-view.ts). */
  scales?: readonly number[];
  /** Whole mode: also average the left–right mirrored views (default false). */
  flip?: boolean;
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

/** Largest batch of whole-mode images per forward pass, and their largest total network-input pixels. */
const MAX_BATCH = 8;
const MAX_BATCH_PIXELS = 4_000_000;

/** Predicts one RGB image. */
export function predictImage(model: SegModel, image: RgbImage, opts: PredictOptions = { mode: 'whole' }): Prediction {
  return predictImages(model, [image], opts)[0] as Prediction;
}

/**
 * Predicts several images; whole mode runs consecutive images of the same network-input size through one forward
 * pass (up to 8 images, 4 Mpx), which gives the same outputs as one image at a time up to float rounding.
 */
export function predictImages(
  model: SegModel,
  images: readonly RgbImage[],
  opts: PredictOptions = { mode: 'whole' },
): Prediction[] {
  if (opts.mode === 'slide') {
    if (isMultiView(opts)) throw new ValueError('predict: scales and flip apply to whole mode only');
    return images.map((im) => slidePrediction(model, im, opts));
  }
  if (isMultiView(opts)) return images.map((im) => multiViewPrediction(model, im, opts));
  const m = model.extractor.sizeMultiple;
  const inputs = images.map((im) => wholeImageInput(im, m));
  const out: Prediction[] = [];
  for (let i = 0; i < images.length;) {
    const first = inputs[i] as RgbImage;
    let j = i + 1;
    while (
      j < images.length &&
      j - i < MAX_BATCH &&
      (j - i + 1) * first.width * first.height <= MAX_BATCH_PIXELS &&
      inputs[j]!.width === first.width &&
      inputs[j]!.height === first.height
    )
      j++;
    out.push(...batchPredictions(model, inputs.slice(i, j), images.slice(i, j), opts));
    i = j;
  }
  return out;
}

/** One forward of same-size network inputs, then each image's per-pixel outputs at its original size. */
function batchPredictions(
  model: SegModel,
  inputs: readonly RgbImage[],
  images: readonly RgbImage[],
  opts: PredictOptions,
): Prediction[] {
  const maps = forwardMaps(model, inputs);
  try {
    return images.map((image, b) => {
      const one = inputs.length === 1 ? maps : maps.map((m) => tf.slice(m, [b, 0, 0, 0], [1, -1, -1, -1]));
      try {
        const source = upsampledBands(one, image.height);
        return pixelOutputs(source, outputSize(model, image), pixelOpts(opts));
      } finally {
        if (one !== maps) tf.dispose(one);
      }
    });
  } finally {
    tf.dispose(maps);
  }
}

/** The network's maps of same-size inputs, [B, h, w, C] each: [logits] or [logits, class log-likelihoods]. */
function forwardMaps(model: SegModel, inputs: readonly RgbImage[]): tf.Tensor4D[] {
  const { width: w, height: h } = inputs[0] as RgbImage;
  const data = new Float32Array(inputs.length * h * w * 3);
  inputs.forEach((im, b) => data.set(im.data, b * h * w * 3));
  const x = tf.tensor4d(data, [inputs.length, h, w, 3]);
  const { frozenForward, forwardFromFrozen } = model.extractor;
  if (!frozenForward || !forwardFromFrozen) {
    try {
      const out = segForward(model, x);
      return out.classScores ? [out.logits, out.classScores] : [out.logits];
    } finally {
      x.dispose();
    }
  }
  // segForward's ops in steps, so the input (12 B per pixel) is freed before the decoder and head run
  let maps: tf.Tensor4D[];
  try {
    maps = frozenForward(x);
  } finally {
    x.dispose();
  }
  let feats: tf.Tensor4D;
  try {
    feats = forwardFromFrozen(maps, { training: false });
  } finally {
    tf.dispose(maps);
  }
  try {
    const out = tf.tidy(
      () => ({ ...headOutputs(model.head, feats) }) as unknown as tf.TensorContainer,
    ) as unknown as SegOutputs;
    return out.classScores ? [out.logits, out.classScores] : [out.logits];
  } finally {
    feats.dispose();
  }
}

function outputSize(model: SegModel, image: RgbImage): Parameters<typeof pixelOutputs>[1] {
  return {
    height: image.height,
    width: image.width,
    classes: model.classes.length,
    maps: model.head.kind === 'gmm' ? 2 : 1,
  };
}

function pixelOpts(opts: PredictOptions): PixelOutputOptions {
  return {
    ...(opts.classLikelihoods !== undefined ? { classLikelihoods: opts.classLikelihoods } : {}),
    ...(opts.bandPixels !== undefined ? { bandPixels: opts.bandPixels } : {}),
  };
}

/**
 * Whole-mode's network input: the image scaled by `scale` and resized (bilinear) to the nearest multiple of
 * `multiple` per side.
 */
export function wholeImageInput(image: RgbImage, multiple: number, scale = 1): RgbImage {
  const h = Math.max(multiple, Math.round((image.height * scale) / multiple) * multiple);
  const w = Math.max(multiple, Math.round((image.width * scale) / multiple) * multiple);
  return h === image.height && w === image.width ? image : resizeImageBilinear(image, w, h);
}

/** Whole mode over several views (scales, mirror): their maps averaged at the original size (multi-view.ts). */
function multiViewPrediction(model: SegModel, image: RgbImage, opts: PredictOptions): Prediction {
  const m = model.extractor.sizeMultiple;
  const views = viewMaps(
    image,
    { scales: opts.scales ?? [1], flip: opts.flip ?? false },
    (im, s) => wholeImageInput(im, m, s),
    (inputs) => forwardMaps(model, inputs),
  );
  try {
    return pixelOutputs(meanOfViews(views, image.height, image.width), outputSize(model, image), pixelOpts(opts));
  } finally {
    views.forEach((v) => tf.dispose(v));
  }
}

/**
 * Slide mode (reference): each window's maps upsampled to the window size and summed into full-size maps; the
 * per-pixel outputs are computed from their overlap averages. Images smaller than the window use whole mode.
 */
function slidePrediction(model: SegModel, image: RgbImage, opts: PredictOptions): Prediction {
  const [wh, ww] = opts.window ?? [0, 0];
  const [sy, sx] = opts.stride ?? [0, 0];
  const m = model.extractor.sizeMultiple;
  if (!(wh > 0 && ww > 0 && wh % m === 0 && ww % m === 0))
    throw new ValueError(`predictImage: slide window must be positive multiples of ${m}, got [${wh}, ${ww}]`);
  if (!(sy > 0 && sx > 0)) throw new ValueError(`predictImage: slide stride must be positive, got [${sy}, ${sx}]`);
  if (image.height < wh || image.width < ww) return predictImages(model, [image], { ...opts, mode: 'whole' })[0]!;
  const C = model.classes.length;
  const H = image.height;
  const W = image.width;
  const size = outputSize(model, image);
  const sums = Array.from({ length: size.maps }, () => new Float32Array(H * W * C));
  const count = new Float32Array(H * W);
  for (const y0 of starts(H, wh, sy)) {
    for (const x0 of starts(W, ww, sx)) {
      const win = windowMaps(model, cropRgb(image, y0, x0, wh, ww));
      try {
        sums.forEach((sum, g) => addWindow(sum, win[g]!.dataSync() as Float32Array, y0, x0, wh, ww, W, C));
      } finally {
        tf.dispose(win);
      }
      for (let y = 0; y < wh; y++)
        for (let x = 0; x < ww; x++) count[(y0 + y) * W + x0 + x] = (count[(y0 + y) * W + x0 + x] as number) + 1;
    }
  }
  const source: BandSource = (y0, y1) => {
    const n = tf.tensor4d(count.subarray(y0 * W, y1 * W), [1, y1 - y0, W, 1]);
    return sums.map((sum) => tf.div(tf.tensor4d(sum.subarray(y0 * W * C, y1 * W * C), [1, y1 - y0, W, C]), n));
  };
  return pixelOutputs(source, size, pixelOpts(opts));
}

/** One window's maps upsampled to the window size: [1, wh, ww, C] each. */
function windowMaps(model: SegModel, crop: RgbImage): tf.Tensor4D[] {
  const maps = forwardMaps(model, [crop]);
  try {
    return maps.map((m) => tf.image.resizeBilinear(m, [crop.height, crop.width], false, true));
  } finally {
    tf.dispose(maps);
  }
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
