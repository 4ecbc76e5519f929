/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing in tfjs-backend-wasm 4.22): the input gradient
 * of depthwiseConv2d, dx [B, H, W, C] from dy [B, Ho, Wo, C·M] and filter [kh, kw, C, M] (NHWC only, as in tfjs).
 *
 * Technique (transposed convolution as a forward one): dy is dilated by the forward stride (s − 1 zeros after every
 * row and column, one 6-D pad), then correlated by the wasm depthwise conv with the filter rotated by 180°
 * ([kh, kw, C·M, 1], forward dilation kept, stride 1) and padded so the output is exactly H × W; for M > 1 the M
 * partial sums per input channel are added. Dilations > 1 are supported with their mathematical meaning.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, convGradSetup, explicitPad, runKernel, WASM, type WasmKernelArgs } from './kernel-util.js';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

/** Kernel function: inputs {dy, filter}, attrs {strides, dilations, pad, dimRoundingMode, inputShape}. */
export function depthwiseBackpropInputWasm(args: WasmKernelArgs): tf.Tensor {
  const {
    inputs: [dy, filter],
    info,
  } = convGradSetup(NAME, args, 'input', true);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, outChannels: cm } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  return tf.tidy(() => {
    // Dilated dy has Ho·sh rows: (Ho − 1)·sh + 1 meaningful ones and sh − 1 trailing zero rows (same for columns).
    let dilated = asTensor(dy, args.backend);
    if (sh > 1 || sw > 1) {
      const spread = tf.reshape(dilated, [b, ho, 1, wo, 1, cm]);
      const padded = tf.pad(spread, [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      dilated = tf.reshape(padded, [b, ho * sh, wo * sw, cm]);
    }
    let top = info.effectiveFilterHeight - 1 - info.padInfo.top;
    let bottom = h + info.padInfo.top - ho * sh;
    let left = info.effectiveFilterWidth - 1 - info.padInfo.left;
    let right = w + info.padInfo.left - wo * sw;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      // Rare (padding larger than the kernel, or 1×1 kernels with stride): crop instead of padding negatively.
      const begin = [0, Math.max(0, -top), Math.max(0, -left), 0];
      const size = [b, ho * sh - begin[1]! - Math.max(0, -bottom), wo * sw - begin[2]! - Math.max(0, -right), cm];
      dilated = tf.slice(dilated, begin, size);
      [top, bottom, left, right] = [top, bottom, left, right].map((p) => Math.max(0, p)) as [
        number,
        number,
        number,
        number,
      ];
    }
    const rotated = tf.reshape(tf.reverse(asTensor(filter, args.backend), [0, 1]), [kh, kw, cm, 1]);
    const out = runKernel(
      'DepthwiseConv2dNative',
      { x: dilated, filter: rotated },
      {
        strides: [1, 1],
        dilations: [info.dilationHeight, info.dilationWidth],
        pad: explicitPad(top, bottom, left, right),
      },
    );
    return cm === c ? out : tf.sum(tf.reshape(out, [b, h, w, c, cm / c]), 4);
  });
}

/** Registration record. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: depthwiseBackpropInputWasm as unknown as tf.KernelFunc,
};
