/**
 * Extractor kind → loader: a view of the extractor registry (`nn/registry.ts`), used when a model file is read.
 */
export { EXTRACTOR_LOADERS } from './seg-model-file.js';
