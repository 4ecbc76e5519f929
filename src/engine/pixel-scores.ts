/**
 * `pixelScores`, the per-pixel half of prediction as one engine op: from a band's logits [n, C] (and, for the GMM
 * head, class log-likelihoods [n, C]) the class map and the four anomaly scores (higher = more anomalous):
 * classes = first argmax of the logits, maxLogit = −max logit, energy = −logsumexp, msp = −max softmax,
 * gmm = −max log-likelihood. The values equal the composite tfjs ops (argMax, max, logSumExp, exp) up to float
 * rounding, in one read of every input value: the native engine runs its own kernel (native/src/ops_pixel.cc),
 * other backends the JavaScript kernel (kernels/pixel-scores.ts), registered on first use.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertShape } from '../shape.js';
import { PIXEL_SCORES, pixelScoresConfig } from './kernels/pixel-scores.js';

/** The op's outputs, [n] each (classes int32). */
export interface PixelScoreTensors {
  classes: tf.Tensor1D;
  maxLogit: tf.Tensor1D;
  energy: tf.Tensor1D;
  msp: tf.Tensor1D;
  gmm?: tf.Tensor1D;
}

/**
 * Class map and scores of `logits` [n, C] and optional `likelihoods` [n, C] (float32).
 * @throws ShapeError / ValueError naming the argument when a shape or dtype does not fit
 */
export function pixelScores(logits: tf.Tensor2D, likelihoods?: tf.Tensor2D): PixelScoreTensors {
  const { C } = assertShape(logits.shape, ['n', 'C'], 'logits', 'pixelScores');
  if (likelihoods) assertShape(likelihoods.shape, ['n', 'C'], 'likelihoods', 'pixelScores', { n: logits.shape[0], C });
  for (const [name, t] of [
    ['logits', logits],
    ['likelihoods', likelihoods],
  ] as const)
    if (t && t.dtype !== 'float32')
      throw new ValueError(`pixelScores: argument '${name}' must be float32, got ${t.dtype}`);
  if (C === 0) throw new ValueError("pixelScores: argument 'logits' has no classes");
  const backend = tf.getBackend();
  if (tf.getKernel(PIXEL_SCORES, backend) === undefined) tf.registerKernel(pixelScoresConfig(backend));
  const inputs = likelihoods ? { logits, likelihoods } : { logits };
  const [classes, maxLogit, energy, msp, gmm] = tf
    .engine()
    .runKernel(PIXEL_SCORES, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor1D[];
  const out: PixelScoreTensors = {
    classes: classes as tf.Tensor1D,
    maxLogit: maxLogit as tf.Tensor1D,
    energy: energy as tf.Tensor1D,
    msp: msp as tf.Tensor1D,
  };
  if (gmm) out.gmm = gmm;
  return out;
}
