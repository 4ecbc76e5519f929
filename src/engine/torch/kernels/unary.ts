/**
 * Elementwise unary kernels of the `torch` backend (native/src/ops_unary.cc): math, activations, predicates, Cast,
 * ZerosLike/OnesLike, and the MobileNetV3 graph's hard-swish with its gradient (ops_hard_swish.cc, `nn/hard-swish.ts`). Attributes pass through unchanged (Step/LeakyRelu `alpha`, ClipByValue `clipValueMin/Max`).
 */
import type * as tf from '@tensorflow/tfjs';
import { ELEMENTWISE_UNARY } from '../kernel-contract.js';
import { customKernel, nativeKernel, unaryKernels } from '../kernel-def.js';

const UNARY = [...ELEMENTWISE_UNARY, 'LeakyRelu', 'Step', 'ClipByValue'] as const;

/** Cast to the input's own dtype shares the data (as tfjs's backends do); any other cast is one native call. */
const castKernel = customKernel('Cast', ({ inputs, attrs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const dtype = attrs.dtype as tf.DataType;
  if (dtype === x.dtype) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  }
  return backend.run1('Cast', [x], { dtype });
});

export const unaryKernelConfigs: tf.KernelConfig[] = [
  ...unaryKernels(UNARY),
  nativeKernel('Prelu', ['x', 'alpha']),
  nativeKernel('EluGrad', ['dy', 'y']),
  nativeKernel('HardSwish', ['x']),
  nativeKernel('HardSwishGrad', ['dy', 'x']),
  castKernel,
];
