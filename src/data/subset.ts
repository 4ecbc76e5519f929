/**
 * Dataset views: the first `n` samples (quick runs, tests) and a per-sample mapping (protocols that rewrite labels or
 * add anomaly masks: held-out classes, pasted objects).
 */
import type { Sample } from './sample.js';
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

/**
 * `base` with every sample passed through `map(sample, i)`, under a new name (and class list / anomaly flag when given);
 * files and skipped entries are the base's.
 */
export function mappedDataset(
  base: Dataset,
  view: { name: string; classes?: readonly string[]; hasAnomaly: boolean },
  map: (sample: Sample, index: number) => Sample | Promise<Sample>,
): Dataset {
  return {
    name: view.name,
    classes: view.classes ?? base.classes,
    length: base.length,
    hasAnomaly: view.hasAnomaly,
    pairs: base.pairs,
    skipped: base.skipped,
    get: async (i: number) => map(await base.get(checkIndex(i, base.length, view.name)), i),
  };
}
