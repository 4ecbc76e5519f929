/** The first `n` samples of a dataset, as a dataset (for quick runs and tests). */
import { checkIndex, type Dataset } from './sample.js';

export function firstSamples(ds: Dataset, n: number): Dataset {
  const length = Math.min(n, ds.length);
  return {
    name: `${ds.name}[:${length}]`,
    classes: ds.classes,
    length,
    hasAnomaly: ds.hasAnomaly,
    pairs: ds.pairs.slice(0, length),
    skipped: ds.skipped,
    get: (i: number) => ds.get(checkIndex(i, length, ds.name)),
  };
}
