/**
 * The per-pixel half of prediction, on the engine: class maps (logits and, for the GMM head, class log-likelihoods)
 * → the class map (argmax of the logits) and the four anomaly scores at the image size. The image is processed in
 * bands of rows (at most `bandPixels` pixels each), so the engine never holds more than a few band-sized C-channel
 * maps whatever the image size; the class map and the four scores of a band come from one engine op that reads
 * every value once (engine/pixel-scores.ts), and each band's outputs are read back once (class indices, −max logit,
 * −max likelihood, energy, msp, optionally the likelihoods) and copied into the caller-visible arrays. Logits and class
 * log-likelihoods stay separate tensors (slicing one out of a stacked pair is a copy on wasm). Tidy scopes return
 * tensors only.
 *
 * Upsampling (feature resolution → image size) is the bilinear resize of `tf.image.resizeBilinear(x, size, false,
 * true)` (half-pixel centres, edges clamped), done separably per band: the band's rows are interpolated at feature
 * width (one matMul by the rows' interpolation matrix), and the scores op upsamples the columns — the same weights as
 * the whole-image resize, so results equal it up to float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { pixelScores, toWidth } from '../engine/pixel-scores.js';
import type { Prediction } from './predict.js';

/** Default band size: 2^20 pixels (≈ 44 MB per 11-class float32 map on the engine). */
export const DEFAULT_BAND_PIXELS = 1 << 20;

/**
 * Rows [y0, y1) of an image's maps at full row resolution, [1, y1 − y0, w, C] each: [logits] or [logits, the GMM head's
 * class log-likelihoods]; their width w is the image's W or a lower one whose columns the scores op upsamples to W
 * (bilinear, half-pixel centres); owned by the caller's tidy scope.
 */
export type BandSource = (y0: number, y1: number) => tf.Tensor4D[];

/** Options of {@link pixelOutputs}. */
export interface PixelOutputOptions {
  /** Also return the [H, W, C] class log-likelihoods (GMM head). */
  classLikelihoods?: boolean;
  /** Largest band, pixels (default {@link DEFAULT_BAND_PIXELS}); at least one row per band. */
  bandPixels?: number;
}

/** Engine outputs of one band (n pixels): classes [n] int32, the scores [n], likelihoods [n, C]. */
type BandTensors = {
  classes: tf.Tensor1D;
  maxLogit: tf.Tensor1D;
  gmm?: tf.Tensor1D;
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
    const band = tf.tidy(() => bandTensors(source(y0, y1), W, lik !== undefined));
    try {
      const at = y0 * W;
      out.classMap.set(band.classes.dataSync() as Int32Array, at);
      s.maxLogit.set(band.maxLogit.dataSync() as Float32Array, at);
      if (s.gmm && band.gmm) s.gmm.set(band.gmm.dataSync() as Float32Array, at);
      s.energy.set(band.energy.dataSync() as Float32Array, at);
      s.msp.set(band.msp.dataSync() as Float32Array, at);
      if (lik && band.likelihoods) lik.set(band.likelihoods.dataSync() as Float32Array, at * C);
    } finally {
      tf.dispose(Object.values(band) as tf.Tensor[]);
    }
  }
  return out;
}

/** One band's outputs from its maps [1, bh, w, C] each, columns upsampled to W (call inside a tidy scope). */
function bandTensors(maps: tf.Tensor4D[], W: number, withLikelihoods: boolean): BandTensors {
  const [, bh, w, C] = (maps[0] as tf.Tensor4D).shape;
  const L = tf.reshape(maps[0] as tf.Tensor4D, [bh, w, C]) as tf.Tensor3D;
  const S = maps[1] ? (tf.reshape(maps[1], [bh, w, C]) as tf.Tensor3D) : undefined;
  // one engine op: column upsampling fused with argmax, max, logsumexp, softmax max and likelihood max
  const out: BandTensors = pixelScores(L, S, W);
  if (maps[1] && withLikelihoods) out.likelihoods = tf.reshape(toWidth(maps[1], W), [bh * W, C]) as tf.Tensor2D;
  return out;
}

/**
 * Band source of feature-resolution maps [1, h, w, C] upsampled to H rows (bilinear, half-pixel centres, as
 * `tf.image.resizeBilinear(x, [H, W], false, true)` does per row), columns left at w for the scores op to upsample:
 * the rows of a band interpolated by one matMul with the band's row matrix over the source rows it reads.
 */
export function upsampledBands(maps: readonly tf.Tensor4D[], H: number): BandSource {
  const [, h, w, C] = (maps[0] as tf.Tensor4D).shape;
  return (y0, y1) => {
    if (y0 === 0 && y1 === H) return maps.map((m) => tf.image.resizeBilinear(m, [H, w], false, true));
    // only the source rows the band reads: [s0, s1) (the matMul's cost is rows × (s1 − s0) × w·C)
    const r = rowWeights(y0, y1, h, H);
    const s0 = r.top[0] as number;
    const s1 = (r.bottom[y1 - y0 - 1] as number) + 1;
    const A = tf.tensor2d(rowMatrix(shiftRows(r, s0), s1 - s0), [y1 - y0, s1 - s0]);
    return maps.map((m) => {
      const src = tf.reshape(s0 === 0 && s1 === h ? m : tf.slice(m, [0, s0, 0, 0], [1, s1 - s0, w, C]), [
        s1 - s0,
        w * C,
      ]);
      return tf.reshape(tf.matMul(A, src), [1, y1 - y0, w, C]) as tf.Tensor4D;
    });
  };
}

/** Row weights with source rows counted from `s0`. */
function shiftRows(
  r: { top: Int32Array; bottom: Int32Array; frac: Float32Array },
  s0: number,
): { top: Int32Array; bottom: Int32Array; frac: Float32Array } {
  return { top: r.top.map((t) => t - s0), bottom: r.bottom.map((b) => b - s0), frac: r.frac };
}

/**
 * The row interpolation as a matrix [n, h] (row-major): row i holds 1 − frac at `top` and frac at `bottom` (exactly
 * 1 where they coincide), so one matMul does both row gathers and the lerp — a gather per band cost ≈ 90 ms on wasm.
 */
export function rowMatrix(r: { top: Int32Array; bottom: Int32Array; frac: Float32Array }, h: number): Float32Array {
  const n = r.top.length;
  const a = new Float32Array(n * h);
  for (let i = 0; i < n; i++) {
    const t = r.top[i] as number;
    const b = r.bottom[i] as number;
    const f = r.frac[i] as number;
    if (t === b) a[i * h + t] = 1;
    else {
      a[i * h + t] = 1 - f;
      a[i * h + b] = f;
    }
  }
  return a;
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
