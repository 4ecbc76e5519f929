/**
 * Helpers to declare the `torch` backend's kernels. Most tfjs kernels map one to one onto a native op of the same
 * name (native/src/ops_*.cc): {@link nativeKernel} passes the named inputs in order and the op's declared attributes
 * (kernel-contract.ts) as tfjs gives them (or as `prepare` builds them). Kernels needing TypeScript logic use
 * {@link customKernel}.
 */
import * as tf from '@tensorflow/tfjs';
import type { TorchBackend } from './backend.js';
import { attrPicker, type AttrsOf, type NativeKernel } from './kernel-contract.js';

/** Backend name of the native engine. */
export const TORCH = 'torch';

/** Arguments of a custom kernel. */
export interface TorchKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: TorchBackend;
}

/** A kernel computed by TypeScript code that calls `backend.run(...)`. */
export function customKernel(
  kernelName: string,
  fn: (args: TorchKernelArgs) => tf.TensorInfo | tf.TensorInfo[],
): tf.KernelConfig {
  return {
    kernelName,
    backendName: TORCH,
    kernelFunc: ({ inputs, attrs, backend }) => fn({ inputs, attrs: attrs ?? {}, backend: backend as TorchBackend }),
  };
}

/** `R` may have no key that `T` lacks (a function's returned object literal gets no excess-property check). */
type NoExtraKeys<R, T> = { [P in Exclude<keyof R, keyof T>]: never };

/**
 * A kernel that runs the native op of the same name on the inputs named `inputNames` (in that order; missing optional
 * inputs are skipped) with the op's declared attributes taken from the kernel's, or with `prepare(attrs, inputs)`.
 */
export function nativeKernel<K extends NativeKernel, R extends AttrsOf<K> & NoExtraKeys<R, AttrsOf<K>>>(
  kernelName: K,
  inputNames: readonly string[],
  prepare?: (attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap) => R,
): tf.KernelConfig {
  const attrsOf = prepare ?? attrPicker(kernelName);
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const list: tf.TensorInfo[] = [];
    for (const n of inputNames) {
      const t = inputs[n];
      if (t) list.push(t);
    }
    const outs = backend.run(kernelName, list, attrsOf(attrs, inputs));
    return outs.length === 1 ? (outs[0] as tf.TensorInfo) : outs;
  });
}

/** Shorthand: kernels with inputs (a, b) → native op of the same name. */
export function binaryKernels(names: readonly NativeKernel[]): tf.KernelConfig[] {
  return names.map((n) => nativeKernel(n, ['a', 'b']));
}

/** Shorthand: kernels with input x → native op of the same name, declared attributes passed through. */
export function unaryKernels(names: readonly NativeKernel[]): tf.KernelConfig[] {
  return names.map((n) => nativeKernel(n, ['x']));
}
