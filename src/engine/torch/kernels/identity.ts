/** Identity: shares the input's data (no native call). */
import type * as tf from '@tensorflow/tfjs';
import { customKernel } from '../kernel-def.js';

export const identityKernelConfigs: tf.KernelConfig[] = [
  customKernel('Identity', ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }),
];
