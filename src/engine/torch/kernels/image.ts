/**
 * Image kernels of the `torch` backend (native/src/ops_image.cc): bilinear and nearest-neighbour resizing and their
 * gradients (the exact adjoints of the forward kernels for every alignCorners/halfPixelCenters combination), max and
 * average pooling and their gradients (pool geometry from tfjs's `computePool2DInfo`).
 */
import * as tf from '@tensorflow/tfjs';
import { customKernel, nativeKernel } from '../kernel-def.js';
import { convGeometry } from './conv.js';

type Shape4 = [number, number, number, number];

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Native pool attributes: kernel, stride and [top, bottom, left, right] pads matching tfjs's output size (for the
 * gradients: dy's size, as tfjs's pool gradients drop dimRoundingMode).
 */
function poolAttrs(
  xShape: number[],
  attrs: tf.NamedAttrMap,
  dy?: tf.TensorInfo,
): { kernel: [number, number]; stride: [number, number]; pad: number[] } {
  const a = attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    xShape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const g = convGeometry(info, dy ? [dy.shape[1]!, dy.shape[2]!] : undefined);
  return { kernel: [info.filterHeight, info.filterWidth], stride: g.stride, pad: g.pad };
}

function resizeGrad(kernelName: 'ResizeBilinearGrad' | 'ResizeNearestNeighborGrad'): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    return backend.run1(kernelName, [dy], {
      imageShape: images.shape,
      alignCorners: !!attrs.alignCorners,
      halfPixelCenters: !!attrs.halfPixelCenters,
    });
  });
}

export const imageKernelConfigs: tf.KernelConfig[] = [
  nativeKernel('ResizeBilinear', ['images']),
  resizeGrad('ResizeBilinearGrad'),
  nativeKernel('ResizeNearestNeighbor', ['images']),
  resizeGrad('ResizeNearestNeighborGrad'),
  customKernel('MaxPool', ({ inputs, attrs, backend }) =>
    backend.run1('MaxPool', [inputs.x!], poolAttrs(inputs.x!.shape, attrs)),
  ),
  customKernel('MaxPoolGrad', ({ inputs, attrs, backend }) =>
    backend.run1('MaxPoolGrad', [inputs.dy!, inputs.input!], poolAttrs(inputs.input!.shape, attrs, inputs.dy)),
  ),
  customKernel('AvgPool', ({ inputs, attrs, backend }) =>
    backend.run1('AvgPool', [inputs.x!], poolAttrs(inputs.x!.shape, attrs)),
  ),
  customKernel('AvgPoolGrad', ({ inputs, attrs, backend }) =>
    backend.run1('AvgPoolGrad', [inputs.dy!, inputs.input!], poolAttrs(inputs.input!.shape, attrs, inputs.dy)),
  ),
];
