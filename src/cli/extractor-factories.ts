/**
 * Extractor name → factory for new models (the CLI edge's one name → factory map for networks).
 */
import { ValueError } from '../errors.js';
import { createDeeplabExtractor } from '../nn/deeplab.js';
import { createMbv3Extractor } from '../nn/mbv3-extractor.js';
import { createSegformerExtractor } from '../nn/segformer.js';
import type { Extractor } from '../nn/types.js';
import type { Rng } from '../random.js';

type Factory = (rng: Rng, embedDim: number) => Promise<Extractor>;

export const EXTRACTOR_FACTORIES: Record<string, Factory> = {
  mbv3: (rng, embedDim) => createMbv3Extractor({ embedDim, channels: 128, rng }),
  deeplab: async (rng, embedDim) => createDeeplabExtractor({ embedDim, rng }),
  segformer: async (rng, embedDim) => createSegformerExtractor({ embedDim, rng }),
};

/** Creates a fresh extractor; an unknown name lists the valid ones. */
export function extractorFactory(name: string): Factory {
  const f = EXTRACTOR_FACTORIES[name];
  if (!f) throw new ValueError(`unknown extractor '${name}'; valid: ${Object.keys(EXTRACTOR_FACTORIES).join(', ')}`);
  return f;
}
