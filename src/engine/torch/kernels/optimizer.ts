/** gmmseg's optimizer kernel on the `torch` backend: one AdamW update per parameter (native/src/ops_adamw.cc). */
import type * as tf from '@tensorflow/tfjs';
import { nativeKernel } from '../kernel-def.js';

export const optimizerKernelConfigs: tf.KernelConfig[] = [nativeKernel('AdamWUpdate', ['p', 'g', 'm', 'v'])];
