/**
 * Hard-swish as the MobileNetV3 graph computes it, y = (scale·x) · relu6(x + 3) (`scale` is the graph's constant,
 * fp16 1/6 = 0.1666259765625), as one op. The native engine runs its fused kernels (native/src/ops_hard_swish.cc:
 * one pass forward, one pass for the gradient, instead of the four ops forward and about ten over the whole map that
 * tfjs's tape records for them); other engines run the graph's own ops. Both give the same float32 values, forward and
 * backward (the kernels repeat the ops' arithmetic in their order).
 */
import * as tf from '@tensorflow/tfjs';

/** Name of the fused kernel (and `HardSwishGrad`, its gradient). */
export const HARD_SWISH = 'HardSwish';

/** x [any shape] float32 → (scale·x) · relu6(x + 3), differentiable. */
export function hardSwish(x: tf.Tensor, scale: number): tf.Tensor {
  if (tf.getKernel(HARD_SWISH, tf.getBackend()) === undefined) return hardSwishOps(x, scale);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.engine().runKernel(HARD_SWISH, { x: input }, { scale }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(`${HARD_SWISH}Grad`, { dy, x: saved[0] as tf.Tensor }, { scale }) as tf.Tensor,
    };
  });
  return op(x);
}

/** The graph's own ops: Mul(scale, x), Add(x, 3), Relu6, Mul. */
export function hardSwishOps(x: tf.Tensor, scale: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(scale, x), tf.relu6(tf.add(x, 3))));
}
