/**
 * Registers, on the wasm backend, the kernels that tfjs-backend-wasm 4.22 lacks for training:
 * `Conv2DBackpropFilter` (conv2d filter gradient, conv2dTranspose gradient), `DepthwiseConv2dNativeBackpropFilter`
 * and `DepthwiseConv2dNativeBackpropInput` (depthwise / separable conv gradients), `UnsortedSegmentSum` (gather
 * gradient) and `Einsum`. Each lives in `./kernels/`, composed from existing wasm kernels (see the file headers).
 * A kernel that the installed wasm backend already provides is left alone.
 *
 * It also overrides one kernel that the wasm backend has but runs slowly: `Conv2DBackpropInput` (conv2d input
 * gradient, conv2dTranspose forward), replaced by `./kernels/conv2d-backprop-input.ts` (spread dy + one XNNPACK conv;
 * ≈4× faster). The original kernel stays reachable as that kernel's fallback (NCHW, non-float32).
 * Environment variable `GMMSEG_WASM_NATIVE_BACKPROP_INPUT=1` (or `true`) keeps (or, on a later call, restores) the
 * wasm backend's own `Conv2DBackpropInput` — for benchmarks and for bisecting numerical differences.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
import {
  conv2dBackpropInputConfig,
  conv2dBackpropInputFallback,
  setConv2dBackpropInputFallback,
} from './kernels/conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig } from './kernels/depthwise-backprop-filter.js';
import { depthwiseBackpropInputConfig } from './kernels/depthwise-backprop-input.js';
import { einsumConfig } from './kernels/einsum.js';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.js';

/** The kernels this module supplies where the wasm backend has none, in registration order. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  einsumConfig,
];

/** The kernels this module substitutes for the wasm backend's own (unless disabled, see the file header). */
export const WASM_KERNEL_OVERRIDES: readonly tf.KernelConfig[] = [conv2dBackpropInputConfig];

/** Environment variable that keeps the wasm backend's own `Conv2DBackpropInput`. */
export const NATIVE_BACKPROP_INPUT_ENV_VAR = 'GMMSEG_WASM_NATIVE_BACKPROP_INPUT';

/** True when `env` asks for the wasm backend's own `Conv2DBackpropInput`. */
export function wantsNativeBackpropInput(env: Record<string, string | undefined> = process.env): boolean {
  const value = env[NATIVE_BACKPROP_INPUT_ENV_VAR]?.trim().toLowerCase();
  return value === '1' || value === 'true';
}

/**
 * Idempotent registration of the missing wasm training kernels and of the `Conv2DBackpropInput` override (safe to
 * call before or after the backend starts, and again after `GMMSEG_WASM_NATIVE_BACKPROP_INPUT` changed).
 *
 * @param env the environment to read (defaults to `process.env`).
 */
export function registerWasmTrainingKernels(env: Record<string, string | undefined> = process.env): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
  if (wantsNativeBackpropInput(env)) restoreNativeBackpropInput();
  else overrideBackpropInput();
}

/** Puts the replacement `Conv2DBackpropInput` in place, keeping the one it replaces as its fallback. */
function overrideBackpropInput(): void {
  const { kernelName, backendName } = conv2dBackpropInputConfig;
  const current = tf.getKernel(kernelName, backendName);
  if (current === conv2dBackpropInputConfig) return;
  if (current !== undefined) {
    setConv2dBackpropInputFallback(current);
    tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel(conv2dBackpropInputConfig);
  // The replaced kernel's setup ran (if the backend is up) when it was registered; a later backend start runs it
  // through the replacement's forwarding `setupFunc`.
}

/** Puts the wasm backend's own `Conv2DBackpropInput` back, if the replacement is registered. */
function restoreNativeBackpropInput(): void {
  const { kernelName, backendName } = conv2dBackpropInputConfig;
  const native = conv2dBackpropInputFallback();
  if (tf.getKernel(kernelName, backendName) !== conv2dBackpropInputConfig || native === undefined) return;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(native);
}
