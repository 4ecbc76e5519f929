/** Batch normalisation with given statistics (tfjs FusedBatchNorm) on the `torch` backend: native/src/ops_norm.cc. */
import type * as tf from '@tensorflow/tfjs';
import { customKernel } from '../kernel-def.js';

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
];
