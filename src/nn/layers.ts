/**
 * Small pure layer helpers on named parameters (NHWC). Parameters are created through a `ParamBuilder` of `params.ts` (random init
 * from an `Rng`, or taken from saved tensors), then read by name in the forward functions:
 *   conv / linear:  `${name}.weight`, optional `${name}.bias`
 *   batch norm:     params `${name}.weight`, `${name}.bias`; state `${name}.running_mean`, `${name}.running_var`
 *   layer norm:     `${name}.weight`, `${name}.bias`
 *
 * Gradients: tfjs has no gradient for dilated convolutions, so dilation is done with space-to-batch (as TensorFlow's
 * atrous conv) and every layer here is differentiable on the wasm and cpu engines.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from './batch-norm-train.js';
import { ValueError } from '../errors.js';
import { createRng, uniform } from '../random.js';
import { assertShape } from '../shape.js';
import type { Params } from './types.js';

function getParam(p: Params, key: string, fnName: string): tf.Variable {
  const v = p[key];
  if (!v) throw new ValueError(`${fnName}: parameter '${key}' not found`);
  return v;
}

/** Convolution options: stride (> 1 only without dilation), dilation; padding is always 'same'. */
export interface ConvOptions {
  stride?: number;
  dilation?: number;
}

/**
 * Runs `op` (a 'valid' conv with kernel k) as a 'same' dilated conv via space-to-batch: pad, split the image into
 * d×d phases, convolve each, interleave back. Differentiable (tfjs lacks gradients of dilated convs).
 */
function atrous(x: tf.Tensor4D, k: number, d: number, op: (z: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const [, H, W] = x.shape;
  const total = (k - 1) * d;
  const top = Math.floor(total / 2);
  const extraH = (d - ((H + total) % d)) % d;
  const extraW = (d - ((W + total) % d)) % d;
  const pads = [
    [top, total - top + extraH],
    [top, total - top + extraW],
  ];
  const s2b = tf.spaceToBatchND(x, [d, d], pads) as tf.Tensor4D;
  return tf.batchToSpaceND(
    op(s2b),
    [d, d],
    [
      [0, extraH],
      [0, extraW],
    ],
  ) as tf.Tensor4D;
}

/** Adds `${name}.bias` when present. */
function withBias(y: tf.Tensor4D, p: Params, name: string): tf.Tensor4D {
  const bias = p[`${name}.bias`];
  return bias ? tf.add(y, bias) : y;
}

/**
 * 'same' convolution with weight `${name}.weight` [k, k, Cin, Cout] and optional bias.
 * @param x [B, H, W, Cin] → [B, ceil(H/stride), ceil(W/stride), Cout]
 */
export function conv2d(x: tf.Tensor4D, p: Params, name: string, opts: ConvOptions = {}): tf.Tensor4D {
  const w = getParam(p, `${name}.weight`, 'conv2d') as unknown as tf.Tensor4D;
  const [k] = w.shape;
  assertShape(x.shape, [null, null, null, w.shape[2]], 'x', `conv2d(${name})`);
  const stride = opts.stride ?? 1;
  const d = opts.dilation ?? 1;
  if (stride > 1 && d > 1)
    throw new ValueError(`conv2d(${name}): stride ${stride} and dilation ${d} cannot both exceed 1`);
  const y = d > 1 ? atrous(x, k, d, (z) => tf.conv2d(z, w, 1, 'valid')) : tf.conv2d(x, w, stride, 'same');
  return withBias(y, p, name);
}

/**
 * 'same' depthwise convolution with weight `${name}.weight` [k, k, C, 1] and optional bias [C].
 * @param x [B, H, W, C] → [B, ceil(H/stride), ceil(W/stride), C]
 */
export function depthwiseConv2d(x: tf.Tensor4D, p: Params, name: string, opts: ConvOptions = {}): tf.Tensor4D {
  const w = getParam(p, `${name}.weight`, 'depthwiseConv2d') as unknown as tf.Tensor4D;
  const [k] = w.shape;
  assertShape(x.shape, [null, null, null, w.shape[2]], 'x', `depthwiseConv2d(${name})`);
  const stride = opts.stride ?? 1;
  const d = opts.dilation ?? 1;
  if (stride > 1 && d > 1)
    throw new ValueError(`depthwiseConv2d(${name}): stride ${stride} and dilation ${d} cannot both exceed 1`);
  const y =
    d > 1 ? atrous(x, k, d, (z) => tf.depthwiseConv2d(z, w, 1, 'valid')) : tf.depthwiseConv2d(x, w, stride, 'same');
  return withBias(y, p, name);
}

/** Linear map on the last axis: x [..., Cin] · `${name}.weight` [Cin, Cout] (+ bias) → [..., Cout]. */
export function linear<T extends tf.Tensor>(x: T, p: Params, name: string): T {
  const w = getParam(p, `${name}.weight`, 'linear') as unknown as tf.Tensor2D;
  const cin = x.shape[x.rank - 1] as number;
  if (cin !== w.shape[0])
    throw new ValueError(`linear(${name}): input has ${cin} channels, weight expects ${w.shape[0]}`);
  const y = tf.matMul(tf.reshape(x, [-1, cin]) as tf.Tensor2D, w);
  const yb = p[`${name}.bias`] ? tf.add(y, p[`${name}.bias`] as tf.Tensor) : y;
  return tf.reshape(yb, [...x.shape.slice(0, -1), w.shape[1]]) as T;
}

/** Replaces a state entry in place: `assign` for a Variable, else swaps the record entry (old tensor disposed). */
function updateState(state: Record<string, tf.Tensor>, key: string, value: tf.Tensor): void {
  const old = state[key] as tf.Tensor;
  if (old instanceof tf.Variable) {
    old.assign(value);
    return;
  }
  state[key] = tf.keep(value);
  old.dispose();
}

/** Batch-norm options (PyTorch defaults: momentum 0.1, eps 1e-5; no ReLU after it). */
export interface BatchNormOptions {
  momentum?: number;
  eps?: number;
  /** Apply ReLU to the output (fused with the normalisation on the native engine in training). */
  relu?: boolean;
}

/**
 * Batch norm over [B, H, W] per channel. Training: normalises with the batch mean and biased variance
 * (batch-norm-train.ts: one fused op on the native engine) and updates the running statistics in place:
 * running ← (1 − m)·running + m·batch, with the unbiased variance (PyTorch). Eval: uses the running statistics and
 * leaves them untouched.
 * @param x [B, H, W, C] → [B, H, W, C]
 */
export function batchNorm(
  x: tf.Tensor4D,
  p: Params,
  state: Record<string, tf.Tensor>,
  name: string,
  training: boolean,
  opts: BatchNormOptions = {},
): tf.Tensor4D {
  const { momentum = 0.1, eps = 1e-5, relu = false } = opts;
  const gamma = getParam(p, `${name}.weight`, 'batchNorm') as tf.Tensor1D;
  const beta = getParam(p, `${name}.bias`, 'batchNorm') as tf.Tensor1D;
  const rm = state[`${name}.running_mean`];
  const rv = state[`${name}.running_var`];
  if (!rm || !rv) throw new ValueError(`batchNorm(${name}): running statistics missing from state`);
  assertShape(x.shape, [null, null, null, rm.shape[0] as number], 'x', `batchNorm(${name})`);
  if (!training) {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(rv, eps)));
    const z = tf.add(tf.mul(tf.sub(x, rm), scale), beta) as tf.Tensor4D;
    return relu ? tf.relu(z) : z;
  }
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  if (n < 2)
    throw new ValueError(
      `batchNorm(${name}): training needs more than 1 value per channel, got input [${x.shape.join(', ')}]`,
    );
  const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps, relu);
  const unbiased = tf.mul(variance, n / (n - 1));
  updateState(state, `${name}.running_mean`, tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum)));
  updateState(state, `${name}.running_var`, tf.add(tf.mul(rv, 1 - momentum), tf.mul(unbiased, momentum)));
  return y as tf.Tensor4D;
}

/** conv → BN → ReLU on the `${name}.conv` / `${name}.bn` params: x [B, H, W, Cin] → [B, H/stride, W/stride, Cout]. */
export function convBnRelu(
  x: tf.Tensor4D,
  p: Params,
  state: Record<string, tf.Tensor>,
  name: string,
  training: boolean,
  opts: ConvOptions = {},
): tf.Tensor4D {
  return batchNorm(conv2d(x, p, `${name}.conv`, opts), p, state, `${name}.bn`, training, { relu: true });
}

/**
 * LayerNorm over the last axis (channels) with affine `${name}.weight`/`${name}.bias`, biased variance, eps inside
 * the square root (PyTorch `nn.LayerNorm`). x [..., C] → [..., C].
 */
export function layerNormChannels<T extends tf.Tensor>(x: T, p: Params, name: string, eps = 1e-6): T {
  const gamma = getParam(p, `${name}.weight`, 'layerNormChannels');
  const beta = getParam(p, `${name}.bias`, 'layerNormChannels');
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T;
}

/** Exact GELU x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch default); `Erf` and its gradient exist on wasm and cpu. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T;
}

/**
 * Channel dropout (PyTorch `Dropout2d`): zeroes whole channels per sample with probability `rate` and scales the
 * rest by 1/(1 − rate); the mask [B, 1, 1, C] is drawn from `createRng(seed)`. Identity when `rate` is 0.
 * @param x [B, H, W, C] → [B, H, W, C]
 */
export function dropout2d(x: tf.Tensor4D, rate: number, seed: number): tf.Tensor4D {
  if (!(rate >= 0 && rate < 1)) throw new ValueError(`dropout2d: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  const [B, , , C] = x.shape;
  const rng = createRng(seed);
  const mask = new Float32Array(B * C);
  for (let i = 0; i < mask.length; i++) mask[i] = uniform(rng) < rate ? 0 : 1 / (1 - rate);
  return tf.mul(x, tf.tensor4d(mask, [B, 1, 1, C]));
}

/** Interpolation matrix [out, in] of PyTorch's bilinear align_corners=False (half-pixel, source clamped at 0). */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l = src - i0;
    m[i * inSize + i0] += 1 - l;
    m[i * inSize + i1] += l;
  }
  return m;
}

/**
 * Bilinear resize with half-pixel centres and align_corners = false (PyTorch `F.interpolate(..., 'bilinear',
 * align_corners=False)`): `tf.image.resizeBilinear(x, size, false, true)`, whose gradient is the exact adjoint on every
 * engine of the project (torch: ATen's `upsample_bilinear2d` backward; cpu and wasm: the kernel that `initEngine`
 * installs, src/engine/kernels/resize-bilinear-grad.ts). Identity when sizes match.
 * @param x [B, H, W, C] → [B, h, w, C]
 */
export function resizeBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  if (x.shape[1] === size[0] && x.shape[2] === size[1]) return x;
  return tf.image.resizeBilinear(x, size, false, true);
}

/**
 * The same resize as two products with the interpolation matrices: an independent formulation (the tests check the
 * engine op and its gradient against it); 1.3–5× slower than the engine op with its gradient.
 */
export function resizeBilinearMatrices(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const [h, w] = size;
  return tf.tidy(() => {
    const ry = tf.tensor2d(bilinearMatrix(H, h), [h, H]);
    const rx = tf.tensor2d(bilinearMatrix(W, w), [w, W]);
    const rows = tf.matMul(ry, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [H, B * W * C])); // [h, B·W·C]
    const byW = tf.reshape(tf.transpose(tf.reshape(rows, [h, B, W, C]), [2, 1, 0, 3]), [W, B * h * C]);
    const cols = tf.reshape(tf.matMul(rx, byW), [w, B, h, C]);
    return tf.transpose(cols, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * Runs `f` with the gradient tape paused: its outputs are constants to any enclosing `tf.grad`/`variableGrads`
 * (used for frozen backbones so their activations are neither recorded nor kept for a backward pass).
 */
export function noGrad<T>(f: () => T): T {
  const state = tf.engine().state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = depth;
  }
}

/** ImageNet mean/std normalisation of 0..255 RGB images (mmseg's default): x [B, H, W, 3] → [B, H, W, 3]. */
export function normalizeImageNet(images: tf.Tensor4D): tf.Tensor4D {
  const mean = tf.tensor1d([123.675, 116.28, 103.53]);
  const std = tf.tensor1d([58.395, 57.12, 57.375]);
  return tf.div(tf.sub(images, mean), std);
}

/** Throws a ValueError unless H and W of `images` are multiples of `m`. */
export function assertSizeMultiple(images: tf.Tensor4D, m: number, fnName: string): void {
  assertShape(images.shape, [null, null, null, 3], 'images', fnName);
  const [, H, W] = images.shape;
  if (H % m !== 0 || W % m !== 0) throw new ValueError(`${fnName}: image size ${H}×${W} must be a multiple of ${m}`);
}
