/**
 * The tiny seeded GMM model both data-parallel worker helpers train (mbv3 with 16 channels, 16-d, + a queue-memory
 * head) and their training config (batch 2 of 64² DigitScenes crops on cached frozen maps).
 */
import { createHeadState } from '../../src/gmm/head.js';
import { makeGmmConfig } from '../../src/gmm/config.js';
import { createMbv3Extractor } from '../../src/nn/mbv3-extractor.js';
import type { Rng } from '../../src/random.js';
import { createAdamWState } from '../../src/train/adamw.js';
import type { TrainState } from '../../src/train/trainer.js';
import { makeTrainConfig, type TrainConfig } from '../../src/train/train-config.js';

/** The workers' training config: `steps` steps of batch 2 with `accumulateSteps` micro-batches each. */
export function tinyDpTrainConfig(steps: number, accumulateSteps: number): TrainConfig {
  return makeTrainConfig({
    steps,
    batchSize: 2,
    accumulateSteps,
    cropSize: [64, 64],
    cacheFrozen: true,
    warmupSteps: 1,
    learningRate: 1e-3,
    seed: 3,
  });
}

export async function tinyDpState(classes: string[], rng: Rng): Promise<TrainState> {
  const extractor = await createMbv3Extractor({ embedDim: 16, channels: 16, rng });
  const gmm = makeGmmConfig({
    classes: classes.length,
    componentsPerClass: 2,
    embedDim: 16,
    memoryPerComponent: 32,
    gmmUpdateEvery: 1,
    memoryKind: 'queue',
  });
  return {
    step: 0,
    model: { classes, extractor, head: { kind: 'gmm', state: createHeadState(gmm, rng, true) } },
    optimizer: createAdamWState(),
  };
}
