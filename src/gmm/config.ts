/**
 * The GMM head's flat, typed configuration. Names carry their units; unknown keys are rejected.
 * Defaults are the reference implementation's (gmmseg-reference.md §6) for Cityscapes-sized problems.
 */
import { z } from 'zod';
import { parseWith } from '../validation.js';
import { IGNORE_INDEX } from '../constants.js';

const positiveInt = z.number().int().positive();

/** Schema of {@link GmmConfig}; `.strict()` rejects unknown keys. */
export const gmmConfigSchema = z
  .object({
    /** C: number of classes. */
    classes: positiveInt,
    /** K: Gaussian components per class. */
    componentsPerClass: positiveInt,
    /** D: embedding dimension. */
    embedDim: positiveInt,
    /** M: ring-buffer length per (class, component), or the averaging window of the running statistics. */
    memoryPerComponent: positiveInt,
    /** S: most new memory entries per component per step (evenly spaced subsample); −1 keeps all. */
    maxSamplesPerStep: z
      .number()
      .int()
      .refine((v) => v === -1 || v > 0, 'must be −1 or a positive integer'),
    /** Momentum of the component means (0.999 in the reference): μ ← m·μ + (1−m)·f. */
    meanMomentum: z.number().min(0).max(1),
    /** Momentum of the component standard deviations (0 in the reference: replaced at every update). */
    stdMomentum: z.number().min(0).max(1),
    /** The GMM is re-estimated at steps 0, n, 2n, … (counter tested before it is incremented). */
    gmmUpdateEvery: positiveInt,
    /** Sinkhorn-Knopp iterations. */
    sinkhornIterations: z.number().int().min(0),
    /** Sinkhorn entropic regularisation ε (applied to max-abs-normalised log-densities). */
    sinkhornEpsilon: z.number().positive(),
    /** Variance floor added to every dimension: σ = sqrt(v + floor). */
    stdFloorVariance: z.number().min(0),
    /** Epsilon inside the square root of both LayerNorms. */
    layerNormEps: z.number().positive(),
    /** Label value that marks pixels to ignore. */
    ignoreIndex: z.number().int(),
    /** 'queue': the reference's FIFO ring buffers (C·K·M·D floats); 'running': queue-free running moments. */
    memoryKind: z.enum(['queue', 'running']),
    /**
     * The memory's initial content: 'random' (reference: M random unit vectors per slot that count as entries until
     * overwritten) or 'empty' (only real rows count; a slot's first row sets its moments). A measured departure, see
     * README. Model files written before this key existed read as 'random' (what they were trained with).
     */
    memoryInit: z.enum(['random', 'empty']).default('random'),
    /**
     * Which labelled pixels may enter the memory: 'correct' (reference: only those the head classifies correctly) or
     * 'labelled' (all of them, so a class the head does not yet recognise still gets real features). A measured
     * departure for training from scratch, see README. Model files written before this key existed read as 'correct'.
     */
    memoryAdmission: z.enum(['correct', 'labelled']).default('correct'),
    /** Class score from component log-densities: 'max' (reference) or 'logsumexp' (exact uniform-weight mixture). */
    classScore: z.enum(['max', 'logsumexp']),
    /** Segmentation CE averaging: 'all-pixels' (reference: ignored pixels count as 0) or 'valid-pixels'. */
    segLossReduction: z.enum(['all-pixels', 'valid-pixels']),
    /** Weight of the contrast (component) cross-entropy. */
    contrastLossWeight: z.number().min(0),
    /**
     * Weight of the likelihood loss: mean over labelled pixels of −ℓ(x; μ, σ)/D for the pixel's own Sinkhorn-assigned
     * component (a generative pull towards it). 0 is the reference (no such term); a measured departure, see README.
     */
    likelihoodLossWeight: z.number().min(0),
    /**
     * 'fixed': component targets use −1 as the ignore value, so target K·c + k = 255 is a real target.
     * 'reference': reproduce the reference bug (§8.2 item 4): a target equal to 255 is silently ignored.
     */
    contrastTargetCollision: z.enum(['fixed', 'reference']),
    /** Pixels per GEMM chunk when computing log-densities for inference. */
    chunkRows: positiveInt,
  })
  .strict();

/** The GMM head configuration (see the schema for every field's meaning). */
export type GmmConfig = z.infer<typeof gmmConfigSchema>;

/** Reference defaults (Cityscapes config of the official code), with 19 classes. */
export const DEFAULT_GMM_CONFIG: GmmConfig = {
  classes: 19,
  componentsPerClass: 5,
  embedDim: 64,
  memoryPerComponent: 32000,
  maxSamplesPerStep: 20,
  meanMomentum: 0.999,
  stdMomentum: 0,
  gmmUpdateEvery: 5,
  sinkhornIterations: 3,
  sinkhornEpsilon: 0.05,
  stdFloorVariance: 0.01,
  layerNormEps: 1e-5,
  ignoreIndex: IGNORE_INDEX,
  memoryKind: 'queue',
  memoryInit: 'random',
  memoryAdmission: 'correct',
  classScore: 'max',
  segLossReduction: 'all-pixels',
  contrastLossWeight: 0.01,
  likelihoodLossWeight: 0,
  contrastTargetCollision: 'fixed',
  chunkRows: 65536,
};

/**
 * Merges `overrides` onto the defaults and validates. Unknown keys and bad values throw a ValueError that names them.
 */
export function makeGmmConfig(overrides: Record<string, unknown> = {}): GmmConfig {
  return parseWith(gmmConfigSchema, { ...DEFAULT_GMM_CONFIG, ...overrides }, 'invalid GMM config');
}

/** Row index of (class c, component k) in every [C·K, …] layout: c·K + k. */
export function slotIndex(c: number, k: number, componentsPerClass: number): number {
  return c * componentsPerClass + k;
}
