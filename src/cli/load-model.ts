/** Loads a model file for inference through the extractor registry; errors name the file. */
import { FormatError } from '../errors.js';
import { EXTRACTOR_LOADERS } from '../model/extractors.js';
import type { ModelFile } from '../model/model-types.js';
import { segModelFromFile } from '../model/seg-model-file.js';
import type { ViewsRecord } from '../model/sections.js';
import type { SegModel } from '../model/seg-model.js';
import { readModelFile } from './fs-io.js';

/** The model, its file (for calibration and metrics) and its stored test-time views (absent: one view at scale 1). */
export async function loadSegModel(file: string): Promise<{ model: SegModel; file: ModelFile; views?: ViewsRecord }> {
  const decoded = await readModelFile(file);
  try {
    const loaded = await segModelFromFile(decoded, EXTRACTOR_LOADERS);
    const views = loaded.sections.preprocessing?.views;
    return { model: loaded.model, file: decoded, ...(views ? { views } : {}) };
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`'${file}': ${e.message}`);
    throw e;
  }
}
