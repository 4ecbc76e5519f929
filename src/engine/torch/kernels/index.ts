/** All kernels of the `torch` backend, by group (one file per group). */
import type * as tf from '@tensorflow/tfjs';
import { binaryKernelConfigs } from './binary.js';
import { convKernelConfigs } from './conv.js';
import { creationKernelConfigs } from './creation.js';
import { identityKernelConfigs } from './identity.js';
import { imageKernelConfigs } from './image.js';
import { indexingKernelConfigs } from './indexing.js';
import { matmulKernelConfigs } from './matmul.js';
import { normKernelConfigs } from './norm.js';
import { optimizerKernelConfigs } from './optimizer.js';
import { reduceKernelConfigs } from './reduce.js';
import { shapeKernelConfigs } from './shape.js';
import { unaryKernelConfigs } from './unary.js';

export function torchKernelConfigs(): tf.KernelConfig[] {
  return [
    ...binaryKernelConfigs,
    ...convKernelConfigs,
    ...matmulKernelConfigs,
    ...imageKernelConfigs,
    ...normKernelConfigs,
    ...optimizerKernelConfigs,
    ...identityKernelConfigs,
    ...unaryKernelConfigs,
    ...reduceKernelConfigs,
    ...shapeKernelConfigs,
    ...indexingKernelConfigs,
    ...creationKernelConfigs,
  ];
}
