/**
 * Helpers to declare the `torch` backend's kernels. Most tfjs kernels map one to one onto a native op of the same
 * name (native/src/ops_*.cc): {@link nativeKernel} passes the named inputs in order and the attributes as they are
 * (or as `prepare` rewrites them). Kernels needing TypeScript logic use {@link customKernel}.
 */
import * as tf from '@tensorflow/tfjs';
import type { TorchBackend } from './backend.js';

/** Backend name of the native engine. */
export const TORCH = 'torch';

/** Arguments of a custom kernel. */
export interface TorchKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: TorchBackend;
}

/** A kernel computed by TypeScript code that calls `backend.run(...)`. */
export function customKernel(kernelName: string, fn: (args: TorchKernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig {
  return {
    kernelName,
    backendName: TORCH,
    kernelFunc: ({ inputs, attrs, backend }) => fn({ inputs, attrs: attrs ?? {}, backend: backend as TorchBackend }),
  };
}

/**
 * A kernel that runs native op `nativeName` (default: the kernel's name) on the inputs named `inputNames` (in that
 * order; missing optional inputs are skipped) with the kernel's attributes, or with `prepare(attrs, inputs)`.
 */
export function nativeKernel(
  kernelName: string,
  inputNames: readonly string[],
  prepare?: (attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap) => object,
  nativeName: string = kernelName,
): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const list: tf.TensorInfo[] = [];
    for (const n of inputNames) {
      const t = inputs[n];
      if (t) list.push(t);
    }
    const outs = backend.run(nativeName, list, prepare ? prepare(attrs, inputs) : attrs);
    return outs.length === 1 ? (outs[0] as tf.TensorInfo) : outs;
  });
}

/** Shorthand: kernels with inputs (a, b) → native op of the same name. */
export function binaryKernels(names: readonly string[]): tf.KernelConfig[] {
  return names.map((n) => nativeKernel(n, ['a', 'b']));
}

/** Shorthand: kernels with input x → native op of the same name, attributes passed through. */
export function unaryKernels(names: readonly string[]): tf.KernelConfig[] {
  return names.map((n) => nativeKernel(n, ['x']));
}
