/**
 * Reductions, arg-reductions, Softmax, Cumsum/Cumprod and TopK of the `torch` backend (native/src/ops_reduce.cc), and
 * PixelScores (native/src/ops_pixel.cc).
 * tfjs's axis forms (null = all, a number, negative axes, lists in any order) are normalised here to a sorted list of
 * distinct non-negative axes, so the native side sees one form.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernel } from '../kernel-def.js';

type ReductionOp = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'Any' | 'All';

/** Sorted, distinct, non-negative axes of `axis` (null/undefined: every axis) for a tensor of `shape`. */
export function reductionAxes(axis: unknown, shape: number[]): number[] {
  const axes = axis == null ? shape.map((_, i) => i) : tf.util.parseAxisParam(axis as number | number[], shape);
  return [...new Set(axes)].sort((p, q) => p - q);
}

/** One axis (a number or a one-element list; negative counts from the end), as tfjs's arg-reductions read it. */
function singleAxis(axis: unknown, shape: number[]): number {
  return tf.util.parseAxisParam(axis as number | number[], shape)[0] ?? 0;
}

function xShape(inputs: tf.NamedTensorInfoMap, name = 'x'): number[] {
  return (inputs[name] as tf.TensorInfo).shape;
}

/** A reduction kernel whose axes live in attribute `axisKey` ('axis', or Max's 'reductionIndices'). */
function reduction(name: ReductionOp, axisKey = 'axis'): tf.KernelConfig {
  return nativeKernel(name, ['x'], (attrs, inputs) => ({
    axis: reductionAxes(attrs[axisKey], xShape(inputs)),
    keepDims: Boolean(attrs.keepDims),
  }));
}

function argReduction(name: 'ArgMax' | 'ArgMin'): tf.KernelConfig {
  return nativeKernel(name, ['x'], (attrs, inputs) => ({ axis: singleAxis(attrs.axis ?? 0, xShape(inputs)) }));
}

function cumulative(name: 'Cumsum' | 'Cumprod'): tf.KernelConfig {
  return nativeKernel(name, ['x'], (attrs, inputs) => {
    const shape = xShape(inputs);
    return {
      axis: shape.length === 0 ? 0 : singleAxis(attrs.axis ?? 0, shape),
      exclusive: Boolean(attrs.exclusive),
      reverse: Boolean(attrs.reverse),
    };
  });
}

export const reduceKernelConfigs: tf.KernelConfig[] = [
  reduction('Sum'),
  reduction('Mean'),
  reduction('Max', 'reductionIndices'),
  reduction('Min'),
  reduction('Prod'),
  reduction('Any'),
  reduction('All'),
  argReduction('ArgMax'),
  argReduction('ArgMin'),
  nativeKernel('Softmax', ['logits'], (attrs, inputs) => {
    const shape = xShape(inputs, 'logits');
    return { dim: shape.length === 0 ? 0 : singleAxis(attrs.dim ?? -1, shape) };
  }),
  cumulative('Cumsum'),
  cumulative('Cumprod'),
  // The native TopK always sorts (tfjs leaves the unsorted order unspecified), so `sorted` is not sent.
  nativeKernel('TopK', ['x'], (attrs) => ({ k: Number(attrs.k) })),
  // gmmseg's own kernel (src/engine/pixel-scores.ts): prediction's per-pixel outputs in one pass
  nativeKernel('PixelScores', ['logits', 'likelihoods']),
];
