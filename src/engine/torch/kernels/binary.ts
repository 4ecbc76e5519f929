/** Elementwise binary kernels (broadcasting), Select and AddN: native/src/ops_binary.cc. */
import type * as tf from '@tensorflow/tfjs';
import { ELEMENTWISE_BINARY } from '../kernel-contract.js';
import { binaryKernels, customKernel, nativeKernel } from '../kernel-def.js';

const BINARY = ELEMENTWISE_BINARY;

/** AddN's inputs are the tensors keyed '0', '1', …: one native call over all of them. */
const addNKernel = customKernel('AddN', ({ inputs, backend }) => {
  const list: tf.TensorInfo[] = [];
  for (let i = 0; inputs[String(i)] !== undefined; i++) list.push(inputs[String(i)] as tf.TensorInfo);
  return backend.run1('AddN', list);
});

export const binaryKernelConfigs: tf.KernelConfig[] = [
  ...binaryKernels(BINARY),
  nativeKernel('Select', ['condition', 't', 'e']),
  addNKernel,
];
