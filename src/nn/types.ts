/**
 * Shared shapes of the network code: a network is plain data (a JSON-able config + named tensors) and pure forward
 * functions act on it. Trainable parameters are tf.Variables so an optimizer can update them; frozen weights are
 * ordinary tensors.
 *
 * Layout: NHWC everywhere. Images enter as float32 RGB in 0..255 ([B, H, W, 3]); every extractor owns its own
 * normalisation so callers never guess.
 */
import type * as tf from '@tensorflow/tfjs';

/** Named parameters, e.g. 'decoder.fuse.conv.weight' → [1, 1, Cin, Cout]. */
export type Params = Record<string, tf.Variable>;

/** A JSON-able flat config value. */
export type ConfigValue = number | string | boolean | number[] | string[];

/** Per-forward settings. */
export interface ForwardContext {
  /** Training mode: dropout on, batch norm uses batch statistics. */
  training: boolean;
  /** Seed for dropout masks in this forward (deterministic training); ignored when not training. */
  seed?: number;
}

/**
 * A feature extractor: images → embedding map for a classifier head.
 * `forward` must be differentiable w.r.t. `params` and must not mutate anything except, in training mode, the
 * running statistics listed in `state` (batch-norm moving mean/variance), which it updates in place.
 */
export interface Extractor {
  /** Factory name (CLI edge), e.g. 'mbv3', 'deeplab', 'segformer', 'graph'. */
  kind: string;
  /** Flat config that rebuilds this extractor (stored in the model file). */
  config: Record<string, ConfigValue>;
  /** D: channels of the output map. */
  embedDim: number;
  /** Output stride relative to the input (4 or 8). */
  stride: number;
  /** Input sizes must be multiples of this (e.g. 32). */
  sizeMultiple: number;
  /** Trainable parameters. */
  params: Params;
  /** Non-trained tensors saved with the model (e.g. batch-norm running statistics). */
  state: Record<string, tf.Tensor>;
  /** images [B, H, W, 3] float32 0..255 → feats [B, H/stride, W/stride, D]. */
  forward(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
  /**
   * For extractors with a frozen front (a pretrained backbone): the frozen part alone, run without gradient, so that
   * training can compute it once per image and cache it. `forward(x)` ≡ `forwardFromFrozen(frozenForward(x))`.
   */
  frozenForward?(images: tf.Tensor4D): tf.Tensor4D[];
  /** The trainable part on the frozen maps. */
  forwardFromFrozen?(maps: tf.Tensor4D[], ctx: ForwardContext): tf.Tensor4D;
  /** Channels of the auxiliary map of {@link Extractor.forwardAux} (extractors that offer one). */
  auxDim?: number;
  /**
   * For deep supervision in training (MMSeg's `auxiliary_head`): the same features as `forward` plus an intermediate
   * map `aux` [B, H/auxStride, W/auxStride, auxDim] from the same pass, for an auxiliary classifier's loss.
   */
  forwardAux?(images: tf.Tensor4D, ctx: ForwardContext): { feats: tf.Tensor4D; aux: tf.Tensor4D };
  /** Frees every tensor the extractor owns (frozen weights included). */
  dispose(): void;
}
