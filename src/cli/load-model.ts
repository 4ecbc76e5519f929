/** Loads a model file for inference through the extractor registry; errors name the file. */
import { FormatError } from '../errors.js';
import { EXTRACTOR_LOADERS } from '../model/extractors.js';
import type { ModelFile } from '../model/model-types.js';
import { segModelFromFile } from '../model/seg-model-file.js';
import type { SegModel } from '../model/seg-model.js';
import { readModelFile } from './fs-io.js';

/** The model and its file (for calibration and metrics). */
export async function loadSegModel(file: string): Promise<{ model: SegModel; file: ModelFile }> {
  const decoded = await readModelFile(file);
  try {
    return { model: (await segModelFromFile(decoded, EXTRACTOR_LOADERS)).model, file: decoded };
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`'${file}': ${e.message}`);
    throw e;
  }
}
