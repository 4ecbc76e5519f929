/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (missing in tfjs-backend-wasm 4.22): the filter gradient
 * of depthwiseConv2d, dW [kh, kw, C, M] from x [B, H, W, C] and dy [B, Ho, Wo, C·M] (NHWC only, as in tfjs).
 *
 * Technique: dW[i, j, c, m] = Σ_{b, oy, ox} xpad[b, oy·s + i·d, ox·s + j·d, c] · dy[b, oy, ox, c·M + m] is a depthwise
 * convolution of x laid out as [1, H, W, B·C] with dy laid out as a filter [Ho, Wo, B·C, M] (dilated by the forward
 * stride s, stepped by the forward dilation d), giving [1, kh, kw, B·C·M]; a sum over B finishes it. Dilations > 1
 * are supported with their mathematical meaning (tfjs' cpu kernel ignores the dilation here; tfjs never calls this
 * kernel with dilation > 1 from a gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { correlateForFilterGrad } from './conv2d-backprop-filter.js';
import { asTensor, convGradSetup, WASM, type WasmKernelArgs } from './kernel-util.js';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

/** Kernel function: inputs {x, dy}, attrs {strides, dilations, pad, dimRoundingMode, filterShape}. */
export function depthwiseBackpropFilterWasm(args: WasmKernelArgs): tf.Tensor {
  const {
    inputs: [x, dy],
    info,
  } = convGradSetup(NAME, args, 'filter', true);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, outChannels: cm } = info;
  const m = cm / c;
  return tf.tidy(() => {
    const xT = tf.reshape(tf.transpose(asTensor(x, args.backend), [1, 2, 0, 3]), [1, h, w, b * c]);
    const dyT = tf.reshape(tf.transpose(asTensor(dy, args.backend), [1, 2, 0, 3]), [ho, wo, b * c, m]);
    const grad = correlateForFilterGrad(xT as tf.Tensor4D, dyT as tf.Tensor4D, info, true); // [1, kh, kw, B·C·M]
    const perBatch = tf.reshape(grad, [info.filterHeight, info.filterWidth, b, cm]);
    const summed = b === 1 ? perBatch : tf.sum(perBatch, 2);
    return tf.reshape(summed, [info.filterHeight, info.filterWidth, c, m]);
  });
}

/** Registration record. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: depthwiseBackpropFilterWasm as unknown as tf.KernelFunc,
};
