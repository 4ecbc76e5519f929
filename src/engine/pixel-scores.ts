/**
 * `pixelScores`, the per-pixel half of prediction as one engine op: from a band's logits [R, w, C] (and, for the GMM
 * head, class log-likelihoods [R, w, C]), their columns upsampled to `width` W (bilinear, half-pixel centres: the
 * column half of `tf.image.resizeBilinear(x, size, false, true)`; on the native engine fused into the kernel, so the
 * full-width maps are never stored; W = w is the identity), the class map and the four anomaly scores of the R·W pixels (higher = more anomalous):
 * classes = first argmax of the logits, maxLogit = −max logit, energy = −logsumexp, msp = −max softmax,
 * gmm = −max log-likelihood. The values equal the composite tfjs ops (argMax, max, logSumExp, exp) up to float
 * rounding, in one read of every input value: the native engine runs its own kernel (native/src/ops_pixel.cc),
 * other backends the JavaScript kernel (kernels/pixel-scores.ts), registered on first use.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertShape } from '../shape.js';
import { PIXEL_SCORES, pixelScoresConfig } from './kernels/pixel-scores.js';
import { TORCH } from './torch/kernel-def.js';

/** The op's outputs, [n] each (classes int32). */
export interface PixelScoreTensors {
  classes: tf.Tensor1D;
  maxLogit: tf.Tensor1D;
  energy: tf.Tensor1D;
  msp: tf.Tensor1D;
  gmm?: tf.Tensor1D;
}

/**
 * Class map and scores [R·W] of `logits` [R, w, C] and optional `likelihoods` [R, w, C] (float32), upsampled to
 * `width` columns (default w).
 * @throws ShapeError / ValueError naming the argument when a shape or dtype does not fit
 */
export function pixelScores(logits: tf.Tensor3D, likelihoods?: tf.Tensor3D, width?: number): PixelScoreTensors {
  const { w, C } = assertShape(logits.shape, ['R', 'w', 'C'], 'logits', 'pixelScores');
  if (likelihoods)
    assertShape(likelihoods.shape, ['R', 'w', 'C'], 'likelihoods', 'pixelScores', { R: logits.shape[0], w, C });
  const W = width ?? w;
  if (!(Number.isInteger(W) && W >= 1 && w >= 1))
    throw new ValueError(
      `pixelScores: width must be a positive integer and the maps at least one column wide, got ${W} from ${w}`,
    );
  for (const [name, t] of [
    ['logits', logits],
    ['likelihoods', likelihoods],
  ] as const)
    if (t && t.dtype !== 'float32')
      throw new ValueError(`pixelScores: argument '${name}' must be float32, got ${t.dtype}`);
  if (C === 0) throw new ValueError("pixelScores: argument 'logits' has no classes");
  const backend = tf.getBackend();
  if (tf.getKernel(PIXEL_SCORES, backend) === undefined) tf.registerKernel(pixelScoresConfig(backend));
  // the native kernel upsamples columns inside its loop; elsewhere the backend's own (vectorised) resize runs first:
  // on wasm a JavaScript interpolation loop was slower (bench:infer ratio 1.60–1.65 vs 1.39–1.55 at 480×360)
  const wide = (t: tf.Tensor3D): tf.Tensor3D =>
    tf.tidy(() => tf.squeeze(toWidth(tf.expandDims(t, 0) as tf.Tensor4D, W), [0]) as tf.Tensor3D);
  const fused = backend === TORCH || W === w;
  const L = fused ? logits : wide(logits);
  const S = likelihoods && !fused ? wide(likelihoods) : likelihoods;
  const inputs = S ? { logits: L, likelihoods: S } : { logits: L };
  let outs: tf.Tensor1D[];
  try {
    outs = tf.engine().runKernel(PIXEL_SCORES, inputs as unknown as tf.NamedTensorMap, { width: W }) as tf.Tensor1D[];
  } finally {
    if (!fused) tf.dispose([L, ...(S ? [S] : [])]);
  }
  const [classes, maxLogit, energy, msp, gmm] = outs;
  const out: PixelScoreTensors = {
    classes: classes as tf.Tensor1D,
    maxLogit: maxLogit as tf.Tensor1D,
    energy: energy as tf.Tensor1D,
    msp: msp as tf.Tensor1D,
  };
  if (gmm) out.gmm = gmm;
  return out;
}

/**
 * Maps [B, h, w, C] with their columns upsampled to W (bilinear, half-pixel centres: the column half of
 * `tf.image.resizeBilinear(x, [h, W], false, true)`); the input itself when w = W.
 */
export function toWidth(m: tf.Tensor4D, W: number): tf.Tensor4D {
  const [, h, w] = m.shape;
  return w === W ? m : tf.image.resizeBilinear(m, [h, W], false, true);
}
