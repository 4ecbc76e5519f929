import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../shape.js';

/**
 * LayerNorm over the last axis with a learned affine, biased variance and `eps` inside the square root
 * (PyTorch `nn.LayerNorm` semantics). Differentiable in `x`, `weight` and `bias`.
 *
 * @param x [N, F]
 * @param weight [F] (γ)
 * @param bias [F] (β)
 * @returns [N, F]
 */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  const { F } = assertShape(x.shape, ['N', 'F'], 'x', 'layerNorm');
  assertShape(weight.shape, ['F'], 'weight', 'layerNorm', { F: F as number });
  assertShape(bias.shape, ['F'], 'bias', 'layerNorm', { F: F as number });
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, weight), bias) as tf.Tensor2D;
  });
}
