/**
 * Extractor kind → loader: the one deserialisation registry, used when a model file is read.
 */
import { loadDeeplabExtractor } from '../nn/deeplab.js';
import { loadMbv3Extractor, MBV3_KIND } from '../nn/mbv3-extractor.js';
import { loadSegformerExtractor } from '../nn/segformer.js';
import type { ExtractorLoader } from './seg-model-file.js';

export const EXTRACTOR_LOADERS: Record<string, ExtractorLoader> = {
  [MBV3_KIND]: (config, tensors) => loadMbv3Extractor(config, tensors),
  deeplab: async (config, tensors) => loadDeeplabExtractor(config, tensors),
  segformer: async (config, tensors) => loadSegformerExtractor(config, tensors),
};
