/**
 * Matrix-product kernels of the `torch` backend (native/src/ops_matmul.cc): BatchMatMul (transposes are free strided
 * views; leading dims broadcast), _FusedMatMul (bias and activation applied in place on the product) and Einsum
 * (libtorch's einsum).
 */
import type * as tf from '@tensorflow/tfjs';
import { customKernel, nativeKernel } from '../kernel-def.js';

export const matmulKernelConfigs: tf.KernelConfig[] = [
  nativeKernel('BatchMatMul', ['a', 'b']),
  customKernel('_FusedMatMul', ({ inputs, attrs, backend }) => {
    const { a, b, bias, preluActivationWeights: prelu } = inputs as Record<string, tf.TensorInfo | undefined>;
    const list = [a!, b!, ...(bias ? [bias] : []), ...(prelu ? [prelu] : [])];
    return backend.run1('_FusedMatMul', list, {
      transposeA: !!attrs.transposeA,
      transposeB: !!attrs.transposeB,
      hasBias: !!bias,
      hasPrelu: !!prelu,
      activation: (attrs.activation as string | undefined) ?? 'linear',
      leakyreluAlpha: (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
    });
  }),
  // tfjs passes the operands as an array-like input map ({0: t0, 1: t1, …}).
  customKernel('Einsum', ({ inputs, attrs, backend }) =>
    backend.run1('Einsum', Object.values(inputs) as tf.TensorInfo[], { equation: attrs.equation as string }),
  ),
];
