/**
 * Inference's conv → batch norm (running statistics) [→ ReLU] as one fused convolution: the BN's scale
 * s = γ / √(running_var + eps) folded into the weight's output channels and its shift β − running_mean·s (plus the
 * conv's own bias times s) as the fused conv's bias. Equal to `batchNorm(conv2d(x), …, training = false)` (layers.ts)
 * up to float rounding, with one full-size output instead of the four of the composite (conv, subtract, multiply,
 * add): what bounds a large image's decoder memory (light-decoder.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { assertShape } from '../shape.js';
import type { Params } from './types.js';

/**
 * x [B, H, W, Cin] → relu?(bn(conv(x))) [B, H, W, Cout] with the `${name}.conv` weight [k, k, Cin, Cout] (stride 1,
 * 'same') and the `${name}.bn` parameters and running statistics; never records a gradient for training.
 * @throws ValueError naming the missing tensor or the input whose channels do not fit
 */
export function convBnInference(
  x: tf.Tensor4D,
  p: Params,
  state: Record<string, tf.Tensor>,
  name: string,
  relu: boolean,
  eps = 1e-5,
): tf.Tensor4D {
  const fn = `convBnInference(${name})`;
  const w = p[`${name}.conv.weight`] as tf.Tensor4D | undefined;
  if (w === undefined) throw new ValueError(`${fn}: '${name}.conv.weight' is missing`);
  assertShape(x.shape, [null, null, null, w.shape[2]], 'x', fn);
  const [filter, bias] = tf.tidy(() => {
    const { scale, shift } = foldBatchNorm(p, state, name, eps, p[`${name}.conv.bias`]);
    return [tf.mul(w, scale) as tf.Tensor4D, shift];
  });
  try {
    return tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: relu ? 'relu' : 'linear' });
  } finally {
    tf.dispose([filter, bias]);
  }
}

/**
 * The inference batch norm `${name}.bn` as an affine map per channel: scale s = γ / √(running_var + eps) [C] and
 * shift β + (bias − running_mean)·s [C] (bias: a conv bias before the BN, default 0); the caller owns both.
 * @throws ValueError naming the missing tensor
 */
export function foldBatchNorm(
  p: Params,
  state: Record<string, tf.Tensor>,
  name: string,
  eps = 1e-5,
  bias?: tf.Tensor,
): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const get = (key: string, from: Record<string, tf.Tensor>): tf.Tensor => {
    const t = from[key];
    if (t === undefined) throw new ValueError(`foldBatchNorm(${name}): '${key}' is missing`);
    return t;
  };
  return tf.tidy(() => {
    const scale = tf.mul(get(`${name}.bn.weight`, p), tf.rsqrt(tf.add(get(`${name}.bn.running_var`, state), eps)));
    const mean = get(`${name}.bn.running_mean`, state);
    const centred = bias ? tf.sub(bias, mean) : tf.neg(mean);
    return {
      scale: scale as tf.Tensor1D,
      shift: tf.add(tf.mul(centred, scale), get(`${name}.bn.bias`, p)) as tf.Tensor1D,
    };
  });
}
