/**
 * The per-pixel half of prediction, on the engine: class maps (logits and, for the GMM head, class log-likelihoods)
 * → the class map (argmax of the logits) and the four anomaly scores at the image size. The image is processed in
 * bands of rows (at most `bandPixels` pixels each), so the engine never holds more than a few band-sized C-channel
 * maps whatever the image size; each band's outputs are read back once (class indices, [−max logit; −max
 * likelihood], energy, msp, optionally the likelihoods) and copied into the caller-visible arrays. The logits and
 * the class log-likelihoods travel together as a batch of two maps, so each step is one engine op for both. Tidy
 * scopes return tensors only.
 *
 * Upsampling (feature resolution → image size) is the bilinear resize of `tf.image.resizeBilinear(x, size, false,
 * true)` (half-pixel centres, edges clamped), done separably per band: the band's rows are interpolated at feature
 * width (two row gathers and a lerp), then resized to the full width with rows unchanged — the same weights as the
 * whole-image resize, so results equal it up to float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import type { Prediction } from './predict.js';

/** Default band size: 2^20 pixels (≈ 44 MB per 11-class float32 map on the engine). */
export const DEFAULT_BAND_PIXELS = 1 << 20;

/**
 * Rows [y0, y1) of an image's full-resolution maps, [G, y1 − y0, W, C]: G = 1 (logits) or 2 (logits, then the GMM
 * head's class log-likelihoods); owned by the caller's tidy scope.
 */
export type BandSource = (y0: number, y1: number) => tf.Tensor4D;

/** Options of {@link pixelOutputs}. */
export interface PixelOutputOptions {
  /** Also return the [H, W, C] class log-likelihoods (GMM head). */
  classLikelihoods?: boolean;
  /** Largest band, pixels (default {@link DEFAULT_BAND_PIXELS}); at least one row per band. */
  bandPixels?: number;
}

/** Engine outputs of one band (n pixels): classes [n] int32, −max [G, n], energy [n], msp [n], likelihoods [n, C]. */
type BandTensors = {
  classes: tf.Tensor1D;
  negMax: tf.Tensor2D;
  energy: tf.Tensor1D;
  msp: tf.Tensor1D;
  likelihoods?: tf.Tensor2D;
};

/**
 * Class map and anomaly scores of an H×W image from its band source.
 * @param maps G = 1 (logits) or 2 (logits and class log-likelihoods), C classes
 */
export function pixelOutputs(
  source: BandSource,
  size: { height: number; width: number; classes: number; maps: 1 | 2 },
  opts: PixelOutputOptions = {},
): Prediction {
  const { height: H, width: W, classes: C, maps: G } = size;
  const n = H * W;
  const out: Prediction = { width: W, height: H, classMap: new Uint8Array(n), scores: {} };
  const s = out.scores;
  [s.maxLogit, s.energy, s.msp] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  if (G === 2) s.gmm = new Float32Array(n);
  const lik = opts.classLikelihoods && G === 2 ? new Float32Array(n * C) : undefined;
  if (lik) out.classLikelihoods = lik;
  const rows = Math.max(1, Math.floor((opts.bandPixels ?? DEFAULT_BAND_PIXELS) / Math.max(1, W)));
  for (let y0 = 0; y0 < H; y0 += rows) {
    const y1 = Math.min(H, y0 + rows);
    const band = tf.tidy(() => bandTensors(source(y0, y1), lik !== undefined));
    try {
      const at = y0 * W;
      out.classMap.set(band.classes.dataSync() as Int32Array, at);
      const negMax = band.negMax.dataSync() as Float32Array;
      const m = (y1 - y0) * W;
      s.maxLogit.set(negMax.subarray(0, m), at);
      if (s.gmm) s.gmm.set(negMax.subarray(m, 2 * m), at);
      s.energy.set(band.energy.dataSync() as Float32Array, at);
      s.msp.set(band.msp.dataSync() as Float32Array, at);
      if (lik && band.likelihoods) lik.set(band.likelihoods.dataSync() as Float32Array, at * C);
    } finally {
      tf.dispose(Object.values(band) as tf.Tensor[]);
    }
  }
  return out;
}

/** One band's outputs from its maps [G, bh, W, C] (call inside a tidy scope). */
function bandTensors(maps: tf.Tensor4D, withLikelihoods: boolean): BandTensors {
  const [G, bh, W, C] = maps.shape;
  const n = bh * W;
  const X = tf.reshape(maps, [G, n, C]);
  const negMax = tf.neg(tf.max(X, -1)) as tf.Tensor2D; // [G, n]: −max logit, −max class log-likelihood
  const L = G === 1 ? tf.reshape(X, [n, C]) : tf.reshape(tf.slice(X, [0, 0, 0], [1, n, C]), [n, C]);
  const negM = G === 1 ? tf.reshape(negMax, [n]) : tf.reshape(tf.slice(negMax, [0, 0], [1, n]), [n]);
  // Σ_c exp(l_c − max): energy = −(max + log Σ), msp = −max softmax = −1/Σ (the max term is exp(0) = 1)
  const sumExp = tf.sum(tf.exp(tf.add(L, tf.expandDims(negM, 1))), -1);
  const out: BandTensors = {
    classes: tf.argMax(L, -1) as tf.Tensor1D,
    negMax,
    energy: tf.sub(negM, tf.log(sumExp)) as tf.Tensor1D,
    msp: tf.div(tf.scalar(-1), sumExp) as tf.Tensor1D,
  };
  if (withLikelihoods && G === 2) out.likelihoods = tf.reshape(tf.slice(X, [1, 0, 0], [1, n, C]), [n, C]);
  return out;
}

/**
 * Band source of feature-resolution maps [G, h, w, C] upsampled to H×W (bilinear, half-pixel centres, as
 * `tf.image.resizeBilinear(x, [H, W], false, true)`): the whole image in one resize, or per band the rows
 * interpolated at feature width then resized to the full width with rows unchanged.
 */
export function upsampledBands(maps: tf.Tensor4D, H: number, W: number): BandSource {
  const h = maps.shape[1];
  return (y0, y1) => {
    if (y0 === 0 && y1 === H) return tf.image.resizeBilinear(maps, [H, W], false, true);
    const { top, bottom, frac } = rowWeights(y0, y1, h, H);
    const t = tf.gather(maps, tf.tensor1d(top, 'int32'), 1) as tf.Tensor4D;
    const b = tf.gather(maps, tf.tensor1d(bottom, 'int32'), 1) as tf.Tensor4D;
    const rows = tf.add(t, tf.mul(tf.sub(b, t), tf.tensor4d(frac, [1, y1 - y0, 1, 1]))) as tf.Tensor4D;
    return tf.image.resizeBilinear(rows, [y1 - y0, W], false, true);
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
