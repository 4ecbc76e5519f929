/**
 * Registers, on the wasm backend, the kernels that tfjs-backend-wasm 4.22 lacks for training:
 * `Conv2DBackpropFilter` (conv2d filter gradient, conv2dTranspose gradient), `DepthwiseConv2dNativeBackpropFilter`
 * and `DepthwiseConv2dNativeBackpropInput` (depthwise / separable conv gradients), `UnsortedSegmentSum` (gather
 * gradient) and `Einsum`. Each lives in `./kernels/`, composed from existing wasm kernels (see the file headers).
 * A kernel that the installed wasm backend already provides is left alone.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
import { depthwiseBackpropFilterConfig } from './kernels/depthwise-backprop-filter.js';
import { depthwiseBackpropInputConfig } from './kernels/depthwise-backprop-input.js';
import { einsumConfig } from './kernels/einsum.js';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.js';

/** The kernels this module supplies, in registration order. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  einsumConfig,
];

/** Idempotent registration of the missing wasm training kernels (safe to call before or after the backend starts). */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
}
