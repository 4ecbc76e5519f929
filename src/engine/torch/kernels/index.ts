/** All kernels of the `torch` backend, by group (one file per group). */
import type * as tf from '@tensorflow/tfjs';
import { binaryKernelConfigs } from './binary.js';
import { identityKernelConfigs } from './identity.js';

export function torchKernelConfigs(): tf.KernelConfig[] {
  return [...binaryKernelConfigs, ...identityKernelConfigs];
}
