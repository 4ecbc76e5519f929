/**
 * Creation kernels of the `torch` backend (native/src/ops_create.cc): Fill, Range, LinSpace. Range's element count and
 * step follow the tfjs cpu backend's rules (including its auto-negated step of 1); the values are accumulated natively
 * step by step, as the cpu backend does, so they match it exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { customKernel, nativeKernel } from '../kernel-def.js';

/** Element count and step of tfjs's Range (cpu backend's rangeImpl). */
export function rangeCountAndStep(start: number, stop: number, step: number): { n: number; step: number } {
  if (start === stop || (start < stop && step < 0) || (stop < start && step > 1)) return { n: 0, step };
  const n = Math.abs(Math.ceil((stop - start) / step));
  return { n, step: stop < start && step === 1 ? -1 : step };
}

/**
 * `v` as a typed array of `dtype` stores it on the cpu backend: int32 wraps like JavaScript's ToInt32 (NaN → 0, where
 * libtorch would refuse the conversion), bool is 0 or 1.
 */
export function storedValue(v: number, dtype: tf.DataType): number {
  if (dtype === 'int32') return v | 0;
  if (dtype === 'bool') return v ? 1 : 0;
  return v;
}

export const creationKernelConfigs: tf.KernelConfig[] = [
  nativeKernel('Fill', [], (attrs) => {
    const dtype = (attrs.dtype ?? tf.util.inferDtype(attrs.value as number)) as tf.DataType;
    return { shape: attrs.shape as number[], value: storedValue(Number(attrs.value), dtype), dtype };
  }),
  customKernel('Range', ({ attrs, backend }) => {
    const { start, stop, step, dtype } = attrs as unknown as tf.RangeAttrs;
    return backend.run1('Range', [], { start, dtype, ...rangeCountAndStep(start, stop, step) });
  }),
  nativeKernel('LinSpace', []),
];
