/**
 * Test-time views for whole-image prediction: the image at several scales, optionally also mirrored left–right. Each
 * view's network maps (logits and, for the GMM head, class log-likelihoods) are brought back to the unflipped
 * orientation at their own grid, upsampled to the original size band by band and averaged over the views before any
 * per-pixel output (softmax, scores, argmax) — the multi-scale + flip protocol of segmentation papers (MMSeg's
 * `aug_test`: mean of the upsampled outputs). Averaging class log-likelihoods is a geometric mean of the likelihoods,
 * so the GMM anomaly score stays −max_c of a per-class log-density. Memory: every view's low-resolution maps, plus one
 * band at full width. Pure: the model is not modified.
 */
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../data/sample.js';
import { ValueError } from '../errors.js';
import { isSingleView } from '../model/sections.js';
import { toWidth } from '../engine/pixel-scores.js';
import { upsampledBands, type BandSource } from './pixel-outputs.js';

/** Which views to average: network-input scales relative to the image, and whether to add mirrored copies. */
export interface ViewSettings {
  /** Input scale factors (1 = the image's own size), each in (0, 4]. */
  scales: readonly number[];
  /** Also predict the left–right mirror of every scale. */
  flip: boolean;
}

/** Checks view settings; the message names the option. */
export function checkViewSettings(v: ViewSettings): void {
  if (v.scales.length === 0) throw new ValueError('predict: scales must list at least one scale');
  for (const s of v.scales)
    if (!(Number.isFinite(s) && s > 0 && s <= 4)) throw new ValueError(`predict: scale ${s} is not in (0, 4]`);
}

/** True when the settings ask for anything beyond one unflipped view at scale 1. */
export function isMultiView(v: Partial<ViewSettings>): boolean {
  return !isSingleView({ scales: v.scales ?? [1], flip: v.flip ?? false });
}

/** The image mirrored left–right. */
export function mirrorImage(image: RgbImage): RgbImage {
  const { width: W, height: H } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * 3;
      const d = (y * W + (W - 1 - x)) * 3;
      data[d] = image.data[s] as number;
      data[d + 1] = image.data[s + 1] as number;
      data[d + 2] = image.data[s + 2] as number;
    }
  return { width: W, height: H, data };
}

/**
 * The views' maps for one image. `forward(inputs)` runs same-size inputs in one batch and returns the network maps
 * [B, h, w, C] each; `input(image, scale)` makes the network input of a scale. Returns, per view, the maps [1, h, w, C]
 * in the original orientation (the caller disposes them).
 */
export function viewMaps(
  image: RgbImage,
  views: ViewSettings,
  input: (image: RgbImage, scale: number) => RgbImage,
  forward: (inputs: readonly RgbImage[]) => tf.Tensor4D[],
): tf.Tensor4D[][] {
  checkViewSettings(views);
  const mirrored = views.flip ? mirrorImage(image) : undefined;
  const out: tf.Tensor4D[][] = [];
  try {
    for (const s of views.scales) {
      const inputs = mirrored ? [input(image, s), input(mirrored, s)] : [input(image, s)];
      const maps = forward(inputs);
      if (!mirrored) {
        out.push(maps); // batch of one: the maps are the view's own
        continue;
      }
      try {
        out.push(maps.map((m) => tf.slice(m, [0, 0, 0, 0], [1, -1, -1, -1])));
        out.push(tf.tidy(() => maps.map((m) => tf.reverse(tf.slice(m, [1, 0, 0, 0], [1, -1, -1, -1]), 2))));
      } finally {
        tf.dispose(maps);
      }
    }
  } catch (e) {
    out.forEach((v) => tf.dispose(v));
    throw e;
  }
  return out;
}

/**
 * Band source of the views' mean: each view's maps upsampled (bilinear, half-pixel) to the band of the [H, W] output
 * and averaged. Bilinear upsampling commutes with the mirror, so flipping back at the low-resolution grid is exact.
 */
export function meanOfViews(views: readonly (readonly tf.Tensor4D[])[], H: number, W: number): BandSource {
  const sources = views.map((v) => upsampledBands(v, H));
  return (y0, y1) =>
    tf.tidy(() => {
      const bands = sources.map((src) => src(y0, y1));
      return (bands[0] as tf.Tensor4D[]).map(
        (_, g) => tf.div(tf.addN(bands.map((b) => toWidth(b[g] as tf.Tensor4D, W))), views.length) as tf.Tensor4D,
      );
    });
}
