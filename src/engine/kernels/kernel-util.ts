/**
 * Shared helpers for the wasm training kernels in this folder.
 *
 * The kernels compose existing wasm (XNNPACK) kernels: a kernel function may run ordinary tfjs ops and return a
 * `tf.Tensor`; ops run inside a kernel are not recorded on the gradient tape. Every kernel here wraps its inputs
 * with {@link asTensor} and does its work inside `tf.tidy`, so only the returned tensor survives.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError, ShapeError } from '../../errors.js';

/** Backend that the kernels in this folder are registered for. */
export const WASM = 'wasm';

/**
 * Wraps a kernel input (a TensorInfo) as a tensor sharing its data; dispose it (or use it inside `tf.tidy`).
 *
 * `makeTensorFromTensorInfo` alone does not take a backend reference, so disposing the wrapper would free the
 * caller's input; the extra `incRef` balances the wrapper's dispose.
 */
export function asTensor(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  const t = tf.engine().makeTensorFromTensorInfo(info, backend);
  backend.incRef(info.dataId);
  return t;
}

/** Runs one registered kernel on the active backend and returns its single output. */
export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(name, inputs, attrs);
}

/** Throws unless every input is float32 (the only dtype the conv kernels support). */
export function assertFloat32(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info.dtype !== 'float32')
      throw new EngineError(`${kernel} (wasm): input '${name}' must be float32, got ${info.dtype}`);
  }
}

/** Throws unless `info` has rank 4. */
export function assertRank4(kernel: string, name: string, info: tf.TensorInfo): [number, number, number, number] {
  if (info.shape.length !== 4)
    throw new ShapeError(`${kernel} (wasm): input '${name}' has shape [${info.shape.join(', ')}], expected rank 4`);
  return info.shape as [number, number, number, number];
}

/** Throws unless `actual` equals `expected` (shapes given by the kernel's attributes). */
export function assertShapeEquals(
  kernel: string,
  name: string,
  actual: readonly number[],
  expected: readonly number[],
): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `${kernel} (wasm): input '${name}' has shape [${actual.join(', ')}], expected [${expected.join(', ')}]`,
    );
  }
}

/** Arguments of a kernel function in this folder. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** The attributes the conv gradient kernels read (tfjs's Conv2DBackprop* and DepthwiseConv2dNativeBackprop* ones). */
interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** A conv gradient kernel's inputs in their kernel order and the forward convolution's geometry. */
export interface ConvGradSetup {
  /** 'filter': [x, dy]; 'input': [dy, filter]. */
  inputs: [tf.TensorInfo, tf.TensorInfo];
  info: tf.backend_util.Conv2DInfo;
}

/**
 * The shared preamble of the conv gradient kernels: checks that both inputs are float32 and rank 4, computes tfjs's
 * Conv2DInfo of the forward convolution (x's shape from input x or attr inputShape, the filter's from input filter or
 * attr filterShape) and checks dy's shape against it. `of` names the gradient: 'filter' (inputs x, dy) or 'input'
 * (inputs dy, filter). Depthwise kernels are NHWC only (tfjs gives them no dataFormat).
 */
export function convGradSetup(
  kernel: string,
  args: WasmKernelArgs,
  of: 'filter' | 'input',
  depthwise: boolean,
): ConvGradSetup {
  const names = of === 'filter' ? (['x', 'dy'] as const) : (['dy', 'filter'] as const);
  const first = args.inputs[names[0]] as tf.TensorInfo;
  const second = args.inputs[names[1]] as tf.TensorInfo;
  const a = args.attrs as unknown as ConvGradAttrs;
  assertFloat32(kernel, { [names[0]]: first, [names[1]]: second });
  const firstShape = assertRank4(kernel, names[0], first);
  const secondShape = assertRank4(kernel, names[1], second);
  const xShape = of === 'filter' ? firstShape : (a.inputShape as [number, number, number, number]);
  const filterShape = of === 'filter' ? (a.filterShape as [number, number, number, number]) : secondShape;
  const format = depthwise ? undefined : tf.backend_util.convertConv2DDataFormat(a.dataFormat as 'NHWC' | 'NCHW');
  // tfjs's Conv2DBackpropFilter has no dilations (its gradient is only taken for dilation 1).
  const dilations = depthwise || of === 'input' ? (a.dilations ?? 1) : 1;
  const { strides, pad, dimRoundingMode } = a;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    format,
  );
  const { batchSize: b, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const dy = of === 'filter' ? second : first;
  assertShapeEquals(kernel, 'dy', dy.shape, info.dataFormat === 'channelsLast' ? [b, ho, wo, co] : [b, co, ho, wo]);
  return { inputs: [first, second], info };
}

/**
 * Padding of one spatial axis for the "filter gradient as a correlation" trick.
 *
 * The filter gradient dW[i] = Σ_o xpad[o·s + i·d − padBefore] · dy[o] (i < k, o < outSize) is itself a correlation of
 * the input with dy used as a filter of `outSize` taps, dilated by the forward stride `s`, stepped by the forward
 * dilation `d`, producing exactly `k` outputs. `padAfter` makes the output length exactly `k`; where the input has
 * rows past the last one the forward pass read, the dy-filter is instead extended by `extraTaps` zero taps (cheaper
 * than cropping the input, which is a slow JS copy on wasm).
 */
export interface FilterGradAxis {
  padBefore: number;
  padAfter: number;
  extraTaps: number;
}

/** Computes {@link FilterGradAxis} for input size `inSize`, forward output size `outSize`, filter size `k`. */
export function filterGradAxis(
  inSize: number,
  outSize: number,
  k: number,
  stride: number,
  dilation: number,
  padBefore: number,
): FilterGradAxis {
  const need = (k - 1) * dilation + (outSize - 1) * stride + 1 - inSize - padBefore;
  if (need >= 0) return { padBefore, padAfter: need, extraTaps: 0 };
  const extraTaps = Math.ceil(-need / stride);
  return { padBefore, padAfter: need + extraTaps * stride, extraTaps };
}

/** Explicit padding array for an NHWC conv from per-axis before/after amounts. */
export function explicitPad(
  top: number,
  bottom: number,
  left: number,
  right: number,
): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
