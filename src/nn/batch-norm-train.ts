/**
 * Training-mode batch normalisation (statistics of the batch over every axis but the last), optionally followed by
 * ReLU, as one differentiable op. The native engine runs its fused kernels (native/src/ops_batch_norm_train.cc: two
 * passes forward and two for the gradient, sums in double, instead of the moments / normalisation / affine / ReLU ops
 * and about fifteen tape gradients over the whole map); other engines run {@link batchNormTrainOps}. Both compute
 * the same formula (PyTorch `BatchNorm2d` in training mode: biased variance inside, ε inside the square root); the
 * float32 roundings differ, so runs on the two paths agree to rounding, not bit for bit.
 */
import * as tf from '@tensorflow/tfjs';

/** Name of the fused kernel (and `BatchNormTrainGrad`, its gradient). */
export const BATCH_NORM_TRAIN = 'BatchNormTrain';

/** Output of {@link batchNormTrain}. */
export interface BatchNormTrainResult {
  /** [..., C]: normalised, scaled and shifted (and ReLU'd when asked). */
  y: tf.Tensor;
  /** [C] batch mean (for the running statistics; not differentiated on the fused path). */
  mean: tf.Tensor1D;
  /** [C] biased batch variance (likewise). */
  variance: tf.Tensor1D;
}

/**
 * x [..., C], gamma [C], beta [C] → y = (x − mean) · gamma / sqrt(variance + eps) + beta (then max(·, 0) when `relu`),
 * with the batch statistics; differentiable in x, gamma and beta.
 */
export type BatchNormTrainFn = (
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  relu: boolean,
) => BatchNormTrainResult;

/** {@link BatchNormTrainFn}: the fused kernels where the engine has them, else {@link batchNormTrainOps}. */
export const batchNormTrain: BatchNormTrainFn = (x, gamma, beta, eps, relu) => {
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) === undefined)
    return batchNormTrainOps(x, gamma, beta, eps, relu);
  const attrs = { eps, relu };
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: input, gamma: g, beta: b }, attrs) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    stats = [tf.keep(mean as tf.Tensor), tf.keep(variance as tf.Tensor)]; // customGrad runs this inside a tidy
    save([input, g, b, mean as tf.Tensor, variance as tf.Tensor]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sv] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const inputs = { dy, x: sx, gamma: sg, beta: sb, mean: sm, variance: sv };
        return tf.engine().runKernel(`${BATCH_NORM_TRAIN}Grad`, inputs, attrs) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  // clones in the caller's scope share the data; the kept originals go
  const [mean, variance] = stats.map((t) => {
    const c = tf.clone(t);
    t.dispose();
    return c;
  }) as [tf.Tensor1D, tf.Tensor1D];
  return { y, mean, variance };
};

/** {@link BatchNormTrainFn} with tfjs ops: `tf.moments` over every axis but the last, the affine map, ReLU. */
export const batchNormTrainOps: BatchNormTrainFn = (x, gamma, beta, eps, relu) =>
  tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    const z = tf.add(tf.mul(tf.sub(x, mean), scale), beta);
    return { y: relu ? tf.relu(z) : z, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
