/** Elementwise binary kernels (broadcasting): native/src/ops_binary.cc. */
import type * as tf from '@tensorflow/tfjs';
import { binaryKernels } from '../kernel-def.js';

export const binaryKernelConfigs: tf.KernelConfig[] = binaryKernels(['Add', 'Sub', 'Multiply', 'RealDiv']);
