/**
 * Batch normalisation on the `torch` backend: with given statistics (tfjs FusedBatchNorm, native/src/ops_norm.cc),
 * and gmmseg's training-mode op and its gradient (src/nn/batch-norm-train.ts, native/src/ops_batch_norm_train.cc).
 */
import type * as tf from '@tensorflow/tfjs';
import { customKernel, nativeKernel } from '../kernel-def.js';

export const normKernelConfigs: tf.KernelConfig[] = [
  customKernel('FusedBatchNorm', ({ inputs, attrs, backend }) => {
    const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
    const list = [x!, mean!, variance!, ...(offset ? [offset] : []), ...(scale ? [scale] : [])];
    return backend.run1('FusedBatchNorm', list, {
      hasOffset: !!offset,
      hasScale: !!scale,
      varianceEpsilon: (attrs.varianceEpsilon as number | undefined) ?? 0.001,
    });
  }),
  nativeKernel('BatchNormTrain', ['x', 'gamma', 'beta']),
  nativeKernel('BatchNormTrainGrad', ['dy', 'x', 'gamma', 'beta', 'mean', 'variance']),
];
