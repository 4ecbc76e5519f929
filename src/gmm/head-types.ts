/**
 * The GMM head as plain data (shared by the forward, the training step and the model codec). Types only, so that
 * forward.ts and head.ts can both use them without importing each other.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GmmConfig } from './config.js';
import type { ComponentMemory } from './memory-types.js';

/** The Gaussian mixtures: means and standard deviations (never variances). */
export interface GmmParams {
  /** [C, K, D]; unit-normalised before every use. */
  means: Float32Array;
  /** [C, K, D] standard deviations σ. */
  stds: Float32Array;
}

/** The two learned LayerNorm affines (trained by backprop; tf.Variables when training). */
export interface HeadNorms {
  /** [D] */
  featNormWeight: tf.Tensor1D;
  /** [D] */
  featNormBias: tf.Tensor1D;
  /** [C] */
  classNormWeight: tf.Tensor1D;
  /** [C] */
  classNormBias: tf.Tensor1D;
}

/** Everything the head needs at inference. */
export interface HeadModel {
  config: GmmConfig;
  norms: HeadNorms;
  gmm: GmmParams;
}

/** Training state: the model plus the component memory and the iteration counter. */
export interface HeadState extends HeadModel {
  memory: ComponentMemory;
  /** The memory version this state expects (guards against reusing a consumed state). */
  memoryVersion: number;
  /** Iteration counter (GMM updates happen when step % gmmUpdateEvery === 0, before it is incremented). */
  step: number;
}
