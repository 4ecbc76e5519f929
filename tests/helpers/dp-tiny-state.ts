/** The tiny seeded GMM model both data-parallel worker helpers train: mbv3 (16 channels, 16-d) + a queue-memory head. */
import { createHeadState } from '../../src/gmm/head.js';
import { makeGmmConfig } from '../../src/gmm/config.js';
import { createMbv3Extractor } from '../../src/nn/mbv3-extractor.js';
import type { Rng } from '../../src/random.js';
import { createAdamWState } from '../../src/train/adamw.js';
import type { TrainState } from '../../src/train/trainer.js';

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
