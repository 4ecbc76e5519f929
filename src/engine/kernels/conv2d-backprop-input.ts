/**
 * `Conv2DBackpropInput` for the wasm backend, replacing tfjs-backend-wasm 4.22's own kernel (a direct scalar loop,
 * ≈4× slower): the input gradient of conv2d (and the forward pass of conv2dTranspose), dx [B, H, W, Ci] from
 * dy [B, Ho, Wo, Co] and filter [kh, kw, Ci, Co].
 *
 * Technique (transposed convolution as a forward one): dy is spread by the forward stride (s − 1 zeros after every
 * row and column: one 6-D pad of dy viewed as [B, Ho, 1, Wo, 1, Co]), then one XNNPACK conv2d (stride 1) correlates
 * it with the filter rotated by 180° and with its channel axes swapped ([kh, kw, Co, Ci]), padded by
 * kh − 1 − padTop before and H + padTop − Ho·s after (likewise for columns) so the output has exactly H × W rows and
 * columns, whatever the pad type ('same', 'valid', numbers, explicit arrays) and `dimRoundingMode` (both only enter
 * through `computeConv2DInfo`). Where a pad amount comes out negative (explicit padding larger than the kernel, a
 * 1×1 kernel with stride on an odd size, a 'ceil' rounding that created dy rows the forward never read) the spread
 * dy is cropped instead — those rows only meet zeros or the forward's padding, so dropping them is exact. On the
 * 2-core dev machine the bench network's 8 input gradients took ≈0.5 s instead of ≈2.1 s.
 *
 * Fallback: configurations this kernel does not handle — NCHW (`dataFormat: 'NCHW'`) and non-float32 inputs — run
 * the wasm backend's original kernel, kept reachable through {@link setConv2dBackpropInputFallback} (the registration
 * in `../wasm-kernels.ts` stores the kernel it replaces there; its `setupFunc` is forwarded too).
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../../errors.js';
import { asTensor, assertRank4, assertShapeEquals, explicitPad, runKernel, WASM } from './kernel-util.js';

const NAME = 'Conv2DBackpropInput';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** The kernel this one replaced (tfjs-backend-wasm's own), used for configurations not handled here. */
let fallback: tf.KernelConfig | undefined;

/** Stores the kernel to fall back to (the wasm backend's original `Conv2DBackpropInput`). */
export function setConv2dBackpropInputFallback(config: tf.KernelConfig | undefined): void {
  fallback = config;
}

/** The stored fallback kernel, if any. */
export function conv2dBackpropInputFallback(): tf.KernelConfig | undefined {
  return fallback;
}

/**
 * One spatial axis of the transposed convolution: the spread dy has `spread` = outSize·stride rows, of which `cropBefore`
 * / `cropAfter` are dropped, and the stride-1 correlation pads it by `padBefore` / `padAfter`.
 */
interface TransposedAxis {
  spread: number;
  cropBefore: number;
  cropAfter: number;
  padBefore: number;
  padAfter: number;
}

/** {@link TransposedAxis} for input size `inSize`, forward output size `outSize`, filter size `k`, forward top pad. */
export function transposedAxis(
  inSize: number,
  outSize: number,
  k: number,
  stride: number,
  forwardPadBefore: number,
): TransposedAxis {
  const spread = outSize * stride;
  const before = k - 1 - forwardPadBefore;
  const after = inSize + forwardPadBefore - spread;
  return {
    spread,
    cropBefore: Math.max(0, -before),
    cropAfter: Math.max(0, -after),
    padBefore: Math.max(0, before),
    padAfter: Math.max(0, after),
  };
}

/** True when this kernel handles the call itself (NHWC, float32); otherwise the original kernel runs. */
function supported(args: KernelArgs): boolean {
  const { dy, filter } = args.inputs;
  const { dataFormat } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  return (dataFormat ?? 'NHWC') === 'NHWC' && dy?.dtype === 'float32' && filter?.dtype === 'float32';
}

/** Kernel function: inputs {dy, filter}, attrs {strides, pad, dataFormat, dimRoundingMode, inputShape}. */
export function conv2dBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  if (!supported(args)) {
    if (fallback === undefined)
      throw new EngineError(`${NAME} (wasm): only NHWC float32 is supported, and no fallback kernel is stored`);
    return fallback.kernelFunc(args) as tf.TensorInfo;
  }
  const dy = args.inputs['dy'] as tf.TensorInfo;
  const filter = args.inputs['filter'] as tf.TensorInfo;
  const { strides, pad, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertRank4(NAME, 'dy', dy);
  const filterShape = assertRank4(NAME, 'filter', filter);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  assertShapeEquals(NAME, 'dy', dy.shape, [b, ho, wo, co]);
  assertShapeEquals(NAME, 'filter', filterShape, [info.filterHeight, info.filterWidth, ci, co]);
  const rows = transposedAxis(h, ho, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = transposedAxis(w, wo, info.filterWidth, info.strideWidth, info.padInfo.left);
  return tf.tidy(() => {
    const spread = cropSpread(
      spreadByStride(asTensor(dy, args.backend) as tf.Tensor4D, info.strideHeight, info.strideWidth),
      rows,
      cols,
    );
    // Every dy row was cropped away (padding larger than the input): nothing reaches dx.
    if (spread === null) return tf.zeros(info.inShape);
    // [kh, kw, Ci, Co] → rotated by 180°, as [kh, kw, Co, Ci].
    const rotated = tf.transpose(tf.reverse(asTensor(filter, args.backend), [0, 1]), [0, 1, 3, 2]);
    return runKernel(
      'Conv2D',
      { x: spread, filter: rotated },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: explicitPad(rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter),
        dataFormat: 'NHWC',
      },
    );
  });
}

/** dy [B, Ho, Wo, C] → [B, Ho·sh, Wo·sw, C] with dy[b, i, j] at [b, i·sh, j·sw] and zeros elsewhere. */
function spreadByStride(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, ho, wo, c] = dy.shape;
  const view = tf.reshape(dy, [b, ho, 1, wo, 1, c]);
  const padded = tf.pad(view, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(padded, [b, ho * sh, wo * sw, c]);
}

/** Drops the rows / columns of the spread dy that no input pixel reads; null when none is left. */
function cropSpread(spread: tf.Tensor4D, rows: TransposedAxis, cols: TransposedAxis): tf.Tensor4D | null {
  if (rows.cropBefore + rows.cropAfter + cols.cropBefore + cols.cropAfter === 0) return spread;
  const height = rows.spread - rows.cropBefore - rows.cropAfter;
  const width = cols.spread - cols.cropBefore - cols.cropAfter;
  if (height <= 0 || width <= 0) return null;
  const [b, , , c] = spread.shape;
  return tf.slice(spread, [0, rows.cropBefore, cols.cropBefore, 0], [b, height, width, c]);
}

/** Registration record; its `setupFunc` / `disposeFunc` forward to the fallback kernel's. */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: conv2dBackpropInputWasm as unknown as tf.KernelFunc,
  setupFunc: (backend) => fallback?.setupFunc?.(backend),
  disposeFunc: (backend) => fallback?.disposeFunc?.(backend),
};
