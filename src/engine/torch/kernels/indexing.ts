/**
 * Indexing kernels of the `torch` backend (native/src/ops_index.cc): gather, scatter, segment sum and one-hot. Shapes
 * and slice strides come from tfjs's own helpers (which also validate the arguments); the native side checks the index
 * values (out-of-range indices fail with the cpu backend's message instead of reading out of bounds).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernel } from '../kernel-def.js';

const { util, backend_util } = tf;

export const indexingKernelConfigs: tf.KernelConfig[] = [
  nativeKernel('GatherV2', ['x', 'indices'], (attrs, inputs) => {
    const x = inputs.x as tf.TensorInfo;
    const indices = inputs.indices as tf.TensorInfo;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    let batchDims = (attrs.batchDims as number | undefined) ?? 0;
    backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, axis, batchDims); // validates
    if (batchDims < 0) batchDims += indices.shape.length;
    return { axis, batchDims };
  }),
  nativeKernel('GatherNd', ['params', 'indices'], (_attrs, inputs) => {
    const [shape, , sliceSize, strides] = backend_util.prepareAndValidate(
      inputs.params as tf.Tensor,
      inputs.indices as tf.Tensor,
    );
    return { shape, sliceSize, strides };
  }),
  nativeKernel('ScatterNd', ['indices', 'updates'], (attrs, inputs) => {
    const shape = attrs.shape as number[];
    const { sliceSize, strides, sliceRank } = backend_util.calculateShapes(
      inputs.updates as tf.Tensor,
      inputs.indices as tf.Tensor,
      shape,
    );
    return { shape, sliceSize, strides: strides.slice(0, sliceRank) };
  }),
  nativeKernel('TensorScatterUpdate', ['tensor', 'indices', 'updates'], (_attrs, inputs) => {
    const shape = (inputs.tensor as tf.TensorInfo).shape;
    const { sliceSize, strides, sliceRank } = backend_util.calculateShapes(
      inputs.updates as tf.Tensor,
      inputs.indices as tf.Tensor,
      shape,
    );
    return { sliceSize, strides: strides.slice(0, sliceRank) };
  }),
  nativeKernel('UnsortedSegmentSum', ['x', 'segmentIds']),
  nativeKernel('OneHot', ['indices']),
];
