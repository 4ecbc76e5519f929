/**
 * The flat, typed training configuration (units in names; unknown keys rejected). Defaults follow the reference
 * (AdamW, lr 6e-5 with head ×10, weight decay 0.01, poly power 1 with linear warm-up, scale 0.5–2, flip, crop with
 * cat-max-ratio 0.75), scaled down in steps for CPU budgets.
 */
import { z } from 'zod';
import type { OhemOptions } from '../gmm/ohem.js';
import { parseWith } from '../validation.js';

const posInt = z.number().int().positive();

export const trainConfigSchema = z
  .object({
    /** Optimizer steps. */
    steps: posInt,
    /** Images per micro-batch. */
    batchSize: posInt,
    /** Micro-batches whose gradients are summed (averaged) per optimizer step. */
    accumulateSteps: posInt,
    /** [height, width] of training crops (multiples of the extractor's size multiple). */
    cropSize: z.tuple([posInt, posInt]),
    /** Random rescale range relative to `baseScale`. */
    scaleRange: z.tuple([z.number().positive(), z.number().positive()]),
    /** Scale applied to every image before augmentation. */
    baseScale: z.number().positive(),
    /** Random horizontal flips. */
    flip: z.boolean(),
    /** Crop acceptance: largest class share below this (1 disables). */
    catMaxRatio: z.number().positive().max(1),
    /** MMSeg's photometric distortion (brightness, contrast, saturation, hue) on each training crop. */
    photometric: z.boolean(),
    /** Base learning rate (backbone/encoder parameters). */
    learningRate: z.number().positive(),
    /** Multiplier of the learning rate for decoder and head parameters (reference: 10). */
    headLrMultiplier: z.number().positive(),
    /** AdamW decoupled weight decay. */
    weightDecay: z.number().min(0),
    /**
     * Gradient clipping by global L2 norm before the optimizer step (PyTorch `clip_grad_norm_`, `train/grad-clip.ts`;
     * 0 = off, as the reference). A departure, see README.
     */
    gradClipNorm: z.number().min(0).default(0),
    /** Linear warm-up steps. */
    warmupSteps: z.number().int().min(0),
    /** Learning-rate ratio at step 0 of the warm-up. */
    warmupRatio: z.number().min(0).max(1),
    /** Poly schedule power. */
    polyPower: z.number().min(0),
    /** Final learning rate. */
    minLearningRate: z.number().min(0),
    /** With a frozen backbone: compute its maps once per image and train on them (flip is the only augmentation). */
    cacheFrozen: z.boolean(),
    /**
     * Deep supervision (MMSeg's `auxiliary_head`, CE weight 0.4 in its DeepLabV3+ configs): weight of a softmax
     * cross-entropy from a linear classifier on the extractor's auxiliary map, added to the head's loss in training
     * only (0 = off, like the GMMSeg reference's SegFormer configs). Needs an extractor with `forwardAux` (unet).
     */
    auxLossWeight: z.number().min(0).default(0),
    /**
     * Online hard example mining of the segmentation CE (MMSeg's `OHEMPixelSampler`, `gmm/ohem.ts`): only labelled
     * pixels whose predicted probability of their own class is below this threshold enter the head's CE (0 = off:
     * every labelled pixel, as the reference). A departure for thin classes, see README.
     */
    ohemThreshold: z.number().min(0).max(1).default(0),
    /** With OHEM: at least this many of the hardest labelled pixels per image enter the CE (MMSeg's `min_kept`). */
    ohemMinKeptPerImage: z.number().int().min(0).default(0),
    /**
     * Class-weighted segmentation CE (`train/class-weights.ts`): 'enet' weighs class c by 1 / ln(offset + p_c), p_c its
     * share of the training set's labelled pixels (ENet; ESPNet/CGNet's CamVid recipes with offset 1.10), scaled so
     * that the mean weight of a labelled pixel is 1. 'none' = every class 1 (the reference). A departure, see README.
     */
    classWeighting: z.enum(['none', 'enet']).default('none'),
    /**
     * Most training images whose labels the class weights are counted on (a seeded uniform sample; 0 = every image).
     * The demo's 19 200 generated scenes: 2 400 give weights within 0.5 % of all (7 s instead of 56 s).
     */
    classWeightImages: z.number().int().min(0).default(0),
    /** The offset of 'enet' weighting (> 1; smaller = stronger: 1.02 ENet, 1.10 ESPNet/CGNet). */
    classWeightOffset: z.number().gt(1).default(1.1),
    /**
     * Weight averaging of the run's tail (SWA, `train/weight-average.ts`): from this step on, the model after every
     * `weightAverageEvery`-th step enters a running mean that replaces the model at the end (0 = off: the last
     * step's weights, as the reference). A departure, see README.
     */
    weightAverageFromStep: z.number().int().min(0).default(0),
    /** Steps between two snapshots of the weight average. */
    weightAverageEvery: posInt.default(1),
    /** Validate every N steps (0 = only at the end). */
    validateEvery: z.number().int().min(0),
    /** Write a checkpoint every N steps (0 = only at the end). */
    checkpointEvery: z.number().int().min(0),
    /** Seed of everything random in training (init, order, augmentation, dropout). */
    seed: z.number().int().min(0),
    /**
     * After the last step, refit the GMM's mixtures by Sinkhorn EM on at most this many training pixels per class,
     * embedded by the final extractor (0 = off: the online statistics as they are, like the reference).
     */
    refitPixelsPerClass: z.number().int().min(0),
    /**
     * Most training images the refit embeds (a seeded uniform sample of them; 0 = every image). A large or
     * generated training set needs only a few hundred images to fill the per-class samples.
     */
    refitImages: z.number().int().min(0).default(0),
    /** EM iterations of that refit. */
    refitIterations: z.number().int().positive(),
    /** Variance floor of the refit: σ = sqrt(v + floor). */
    refitStdFloorVariance: z.number().min(0),
    /**
     * Test-time input scales whose outputs are averaged, for validation, calibration and (stored in the model) every
     * later prediction by default; [1] = the image's own size. Older checkpoints without the key read [1].
     */
    predictScales: z.array(z.number().gt(0).max(4)).min(1).default([1]),
    /** Also average the mirrored views at test time (validation, calibration, stored in the model). */
    predictFlip: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.scaleRange[0] <= c.scaleRange[1], {
    message: 'scaleRange must be [low, high] with low ≤ high',
    path: ['scaleRange'],
  })
  .refine((c) => c.weightAverageFromStep <= c.steps, {
    message: 'weightAverageFromStep must be at most steps (0 = no averaging)',
    path: ['weightAverageFromStep'],
  });

export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  steps: 2000,
  batchSize: 8,
  accumulateSteps: 1,
  cropSize: [128, 128],
  scaleRange: [0.5, 2],
  baseScale: 1,
  flip: true,
  catMaxRatio: 0.75,
  photometric: false,
  learningRate: 6e-5,
  headLrMultiplier: 10,
  weightDecay: 0.01,
  gradClipNorm: 0,
  warmupSteps: 100,
  warmupRatio: 1e-6,
  polyPower: 1,
  minLearningRate: 0,
  cacheFrozen: false,
  auxLossWeight: 0,
  ohemThreshold: 0,
  ohemMinKeptPerImage: 0,
  classWeighting: 'none',
  classWeightImages: 0,
  classWeightOffset: 1.1,
  weightAverageFromStep: 0,
  weightAverageEvery: 1,
  validateEvery: 0,
  checkpointEvery: 0,
  seed: 0,
  refitPixelsPerClass: 0,
  refitImages: 0,
  refitIterations: 10,
  refitStdFloorVariance: 0.01,
  predictScales: [1],
  predictFlip: false,
};

/** The OHEM settings of a config, or undefined when OHEM is off (threshold 0). */
export function ohemOf(cfg: TrainConfig): OhemOptions | undefined {
  return cfg.ohemThreshold > 0 ? { threshold: cfg.ohemThreshold, minKeptPerImage: cfg.ohemMinKeptPerImage } : undefined;
}

/** Defaults merged with overrides, validated; errors name the key. */
export function makeTrainConfig(overrides: Record<string, unknown> = {}): TrainConfig {
  return parseWith(trainConfigSchema, { ...DEFAULT_TRAIN_CONFIG, ...overrides }, 'invalid training config');
}
