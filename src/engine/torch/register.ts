/**
 * Registers the `torch` backend and its kernels with tfjs. Every tfjs kernel without a native implementation gets a
 * kernel that fails with the kernel's name and the engine to fall back to (EngineFallbackError), so an unsupported
 * kernel is never a crash or a wrong result.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineFallbackError } from '../fallback-error.js';
import type { TorchAddon } from './addon.js';
import { TorchBackend } from './backend.js';
import { customKernel, TORCH } from './kernel-def.js';
import { torchKernelConfigs } from './kernels/index.js';

let registered = false;

/** Registers the backend (idempotent). `priority` is below wasm's so tfjs never picks it on its own. */
export function registerTorchBackend(addon: TorchAddon): void {
  if (registered) return;
  registered = true;
  tf.registerBackend(TORCH, () => new TorchBackend(addon), 1);
  const native = new Set<string>();
  for (const k of torchKernelConfigs()) {
    tf.registerKernel(k);
    native.add(k.kernelName);
  }
  // Every kernel tfjs knows (the cpu backend implements all of them) that has no native implementation here.
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (native.has(k.kernelName)) continue;
    tf.registerKernel(
      customKernel(k.kernelName, () => {
        throw new EngineFallbackError(`kernel '${k.kernelName}' is not implemented on the native torch engine`, TORCH);
      }),
    );
  }
}

/** Names of the kernels with a native implementation. */
export function torchKernelNames(): string[] {
  return torchKernelConfigs()
    .map((k) => k.kernelName)
    .sort();
}
