/**
 * The per-pixel half of prediction, on the engine: class maps (logits and, for the GMM head, class log-likelihoods)
 * → the class map (argmax of the logits) and the four anomaly scores at the image size. The image is processed in
 * bands of rows (at most `bandPixels` pixels each), so the engine never holds more than a few band-sized C-channel
 * maps whatever the image size; each band's outputs are read back once (class indices, one [4, n] score block,
 * optionally the likelihoods) and copied into the caller-visible arrays. Tidy scopes return tensors only.
 *
 * Upsampling (feature resolution → image size) is the bilinear resize of `tf.image.resizeBilinear(x, size, false,
 * true)` (half-pixel centres, edges clamped), done separably per band: the band's rows are interpolated at feature
 * width (two row gathers and a lerp), then resized to the full width with rows unchanged — the same weights as the
 * whole-image resize, so results equal it up to float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import type { AnomalyScoreName, Prediction } from './predict.js';

/** Default band size: 2^19 pixels (≈ 23 MB per 11-class float32 map on the engine). */
export const DEFAULT_BAND_PIXELS = 1 << 19;

/** Maps of one image: logits [1, h, w, C] and, for the GMM head, class log-likelihoods [1, h, w, C]. */
export type ClassMaps = {
  logits: tf.Tensor4D;
  classScores?: tf.Tensor4D;
};

/** Rows [y0, y1) of an image's full-resolution maps, [1, y1 − y0, W, C] each; owned by the caller's tidy scope. */
export type BandSource = (y0: number, y1: number) => ClassMaps;

/** Row order of the score block read back per band. */
const SCORE_ROWS: readonly AnomalyScoreName[] = ['maxLogit', 'energy', 'msp', 'gmm'];

/** Options of {@link pixelOutputs}. */
export interface PixelOutputOptions {
  /** Also return the [H, W, C] class log-likelihoods (GMM head). */
  classLikelihoods?: boolean;
  /** Largest band, pixels (default {@link DEFAULT_BAND_PIXELS}); at least one row per band. */
  bandPixels?: number;
}

/**
 * Class map and anomaly scores of an H×W image from its band source.
 * @param source full-resolution maps by rows (see {@link upsampledBands}); C from its logits
 * @param hasScores whether the source gives class log-likelihoods (GMM head)
 */
export function pixelOutputs(
  source: BandSource,
  size: { height: number; width: number; classes: number },
  hasScores: boolean,
  opts: PixelOutputOptions = {},
): Prediction {
  const { height: H, width: W, classes: C } = size;
  const n = H * W;
  const out: Prediction = { width: W, height: H, classMap: new Uint8Array(n), scores: {} };
  const names = SCORE_ROWS.filter((s) => s !== 'gmm' || hasScores);
  const dst = names.map((s) => (out.scores[s] = new Float32Array(n)));
  const lik = opts.classLikelihoods && hasScores ? new Float32Array(n * C) : undefined;
  if (lik) out.classLikelihoods = lik;
  const rows = Math.max(1, Math.floor((opts.bandPixels ?? DEFAULT_BAND_PIXELS) / Math.max(1, W)));
  for (let y0 = 0; y0 < H; y0 += rows) {
    const y1 = Math.min(H, y0 + rows);
    const band = tf.tidy(() => bandTensors(source(y0, y1), C, lik !== undefined));
    try {
      const m = (y1 - y0) * W;
      out.classMap.set(band.classes.dataSync() as Int32Array, y0 * W);
      const block = band.scores.dataSync() as Float32Array;
      dst.forEach((d, r) => d.set(block.subarray(r * m, (r + 1) * m), y0 * W));
      if (lik && band.likelihoods) lik.set(band.likelihoods.dataSync() as Float32Array, y0 * W * C);
    } finally {
      tf.dispose([band.classes, band.scores, ...(band.likelihoods ? [band.likelihoods] : [])]);
    }
  }
  return out;
}

/** One band's outputs on the engine: classes [n] int32, scores [S, n] (rows of SCORE_ROWS), likelihoods [n, C]. */
function bandTensors(
  maps: ClassMaps,
  C: number,
  withLikelihoods: boolean,
): { classes: tf.Tensor1D; scores: tf.Tensor2D; likelihoods?: tf.Tensor2D } {
  const L = tf.reshape(maps.logits, [-1, C]) as tf.Tensor2D;
  const m = tf.max(L, -1);
  // Σ_c exp(l_c − max): energy = −(max + log Σ), msp = −max softmax = −1/Σ (the max term is exp(0) = 1)
  const sumExp = tf.sum(tf.exp(tf.sub(L, tf.expandDims(m, 1))), -1);
  const rows = [tf.neg(m), tf.neg(tf.add(m, tf.log(sumExp))), tf.neg(tf.reciprocal(sumExp))];
  let likelihoods: tf.Tensor2D | undefined;
  if (maps.classScores) {
    const S = tf.reshape(maps.classScores, [-1, C]) as tf.Tensor2D;
    rows.push(tf.neg(tf.max(S, -1)));
    if (withLikelihoods) likelihoods = S;
  }
  const out = { classes: tf.argMax(L, -1) as tf.Tensor1D, scores: tf.stack(rows) as tf.Tensor2D };
  return likelihoods ? { ...out, likelihoods } : out;
}

/**
 * Band source of feature-resolution maps upsampled to H×W (bilinear, half-pixel centres, as
 * `tf.image.resizeBilinear(x, [H, W], false, true)`).
 * @param maps [1, h, w, C] each
 */
export function upsampledBands(maps: ClassMaps, H: number, W: number): BandSource {
  const [b, h] = maps.logits.shape;
  if (b !== 1) throw new ShapeError(`upsampledBands: maps must hold one image, got batch ${b}`);
  return (y0, y1) => {
    const { top, bottom, frac } = rowWeights(y0, y1, h, H);
    const bh = y1 - y0;
    const topT = tf.tensor1d(top, 'int32');
    const botT = tf.tensor1d(bottom, 'int32');
    const fracT = tf.tensor4d(frac, [1, bh, 1, 1]);
    const up = (x: tf.Tensor4D): tf.Tensor4D => {
      const t = tf.gather(x, topT, 1) as tf.Tensor4D;
      const rows = tf.add(t, tf.mul(tf.sub(tf.gather(x, botT, 1), t), fracT)) as tf.Tensor4D;
      return tf.image.resizeBilinear(rows, [bh, W], false, true);
    };
    return maps.classScores
      ? { logits: up(maps.logits), classScores: up(maps.classScores) }
      : { logits: up(maps.logits) };
  };
}

/**
 * Source rows and weights of output rows [y0, y1) when resizing h rows to H (half-pixel centres, tfjs's rule):
 * src = (y + ½)·h/H − ½, top = max(0, ⌊src⌋), bottom = min(h − 1, ⌈src⌉), frac = src − ⌊src⌋.
 */
export function rowWeights(
  y0: number,
  y1: number,
  h: number,
  H: number,
): { top: Int32Array; bottom: Int32Array; frac: Float32Array } {
  const n = y1 - y0;
  const top = new Int32Array(n);
  const bottom = new Int32Array(n);
  const frac = new Float32Array(n);
  const scale = h / H;
  for (let i = 0; i < n; i++) {
    const src = (y0 + i + 0.5) * scale - 0.5;
    const f = Math.floor(src);
    top[i] = Math.max(0, f);
    bottom[i] = Math.min(h - 1, Math.ceil(src));
    frac[i] = src - f;
  }
  return { top, bottom, frac };
}
