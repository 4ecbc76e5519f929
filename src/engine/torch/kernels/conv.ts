/**
 * 2-D convolution kernels of the `torch` backend (native/src/ops_conv.cc): Conv2D, FusedConv2D, both gradients, and
 * the depthwise variants (the same native ops with `depthwise: true`, i.e. groups = in channels).
 *
 * All shape logic is tfjs's own (`computeConv2DInfo`: 'same'/'valid'/numeric/explicit pads, rounding modes,
 * dilations); native code gets explicit strides, dilations and [top, bottom, left, right] pads, with bottom/right
 * adjusted so that libtorch's output size is exactly tfjs's (see {@link convGeometry}).
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../../../errors.js';
import { customKernel } from '../kernel-def.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Native geometry attributes of a convolution (or pooling) described by tfjs's `info`. */
export interface ConvGeometry {
  stride: [number, number];
  dilation: [number, number];
  /** [top, bottom, left, right]; bottom/right may be negative (trailing rows/columns no window reads). */
  pad: [number, number, number, number];
  nchw: boolean;
}

/**
 * The far-side pad that makes libtorch's floor((in + near + far − effFilter) / stride) + 1 equal tfjs's `out`: tfjs's
 * own pad when it does (so symmetric pads stay symmetric), else the nearest value that does ('ceil'/'round' rounding,
 * 'valid' with unread trailing rows).
 */
export function farPad(
  inSize: number,
  outSize: number,
  near: number,
  far: number,
  stride: number,
  effFilter: number,
): number {
  const needed = (outSize - 1) * stride + effFilter - inSize - near;
  return Math.min(Math.max(far, needed), needed + stride - 1);
}

/**
 * Geometry attributes for native code from a tfjs Conv2DInfo. `out` [h, w] overrides the info's output size: the
 * gradient kernels pass dy's, because tfjs's conv2d gradient drops dimRoundingMode and its info then has fractional
 * output sizes for numeric pads.
 */
export function convGeometry(
  info: tf.backend_util.Conv2DInfo,
  out: [number, number] = [info.outHeight, info.outWidth],
): ConvGeometry {
  const p = info.padInfo;
  return {
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    pad: [
      p.top,
      farPad(info.inHeight, out[0], p.top, p.bottom, info.strideHeight, info.effectiveFilterHeight),
      p.left,
      farPad(info.inWidth, out[1], p.left, p.right, info.strideWidth, info.effectiveFilterWidth),
    ],
    nchw: info.dataFormat === 'channelsFirst',
  };
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: Rounding;
}

function dataFormatOf(kernel: string, attrs: ConvAttrs, depthwise: boolean): 'channelsLast' | 'channelsFirst' {
  const f = attrs.dataFormat ?? 'NHWC';
  if (f !== 'NHWC' && f !== 'NCHW')
    throw new EngineError(`${kernel}: unsupported dataFormat '${String(f)}' on the native torch engine (NHWC or NCHW)`);
  if (depthwise && f === 'NCHW')
    throw new EngineError(`${kernel}: dataFormat NCHW is not supported on the native torch engine (use NHWC)`);
  return tf.backend_util.convertConv2DDataFormat(f);
}

function info(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    dataFormatOf(kernel, attrs, depthwise),
  );
}

/** Spatial size [h, w] of a gradient dy in the kernel's data format. */
function spatial(dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): [number, number] {
  const nchw = info.dataFormat === 'channelsFirst';
  return [dy.shape[nchw ? 2 : 1]!, dy.shape[nchw ? 3 : 2]!];
}

function forwardKernel(kernelName: string, depthwise: boolean): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const geo = convGeometry(info(kernelName, x.shape, filter.shape, attrs as unknown as ConvAttrs, depthwise));
    return backend.run1('Conv2D', [x, filter], { ...geo, depthwise });
  });
}

function fusedKernel(kernelName: string, depthwise: boolean): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const { x, filter, bias, preluActivationWeights: prelu } = inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrs as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    const geo = convGeometry(info(kernelName, x!.shape, filter!.shape, a, depthwise));
    const list = [x!, filter!, ...(bias ? [bias] : []), ...(prelu ? [prelu] : [])];
    return backend.run1('FusedConv2D', list, {
      ...geo,
      depthwise,
      hasBias: !!bias,
      hasPrelu: !!prelu,
      activation: a.activation ?? 'linear',
      leakyreluAlpha: a.leakyreluAlpha ?? 0.2,
    });
  });
}

/**
 * Native geometry of a gradient kernel: the forward convolution of an x of `xShape` with a filter of `filterShape`,
 * with dy's spatial size as the output size.
 */
function gradGeometry(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  dy: tf.TensorInfo,
  attrs: ConvAttrs,
  depthwise: boolean,
): ConvGeometry & { depthwise: boolean } {
  const i = info(kernelName, xShape, filterShape, attrs, depthwise);
  return { ...convGeometry(i, spatial(dy, i)), depthwise };
}

/** A gradient kernel: of the input (inputs dy, filter; attr inputShape) or filter (inputs x, dy; attr filterShape). */
function backpropKernel(kernelName: string, depthwise: boolean, of: 'input' | 'filter'): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, attrs, backend }) => {
    const dy = inputs.dy as tf.TensorInfo;
    const a = attrs as unknown as ConvAttrs & { inputShape: number[]; filterShape: number[] };
    if (of === 'input') {
      const filter = inputs.filter as tf.TensorInfo;
      const geo = gradGeometry(kernelName, a.inputShape, filter.shape, dy, a, depthwise);
      return backend.run1('Conv2DBackpropInput', [dy, filter], { ...geo, inputShape: a.inputShape });
    }
    const x = inputs.x as tf.TensorInfo;
    const geo = gradGeometry(kernelName, x.shape, a.filterShape, dy, a, depthwise);
    return backend.run1('Conv2DBackpropFilter', [x, dy], { ...geo, filterShape: a.filterShape });
  });
}

export const convKernelConfigs: tf.KernelConfig[] = [
  forwardKernel('Conv2D', false),
  fusedKernel('FusedConv2D', false),
  backpropKernel('Conv2DBackpropInput', false, 'input'),
  backpropKernel('Conv2DBackpropFilter', false, 'filter'),
  forwardKernel('DepthwiseConv2dNative', true),
  fusedKernel('FusedDepthwiseConv2D', true),
  backpropKernel('DepthwiseConv2dNativeBackpropInput', true, 'input'),
  backpropKernel('DepthwiseConv2dNativeBackpropFilter', true, 'filter'),
];
