/**
 * Writes an experiment's report folder (see `report/experiment-files.ts` for what it holds), each file atomically.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset } from '../data/sample.js';
import { experimentFiles } from '../report/experiment-files.js';
import type { RunMeta } from '../report/experiment.js';
import type { HeadOutcome } from '../train/experiment.js';
import { writeFileAtomic } from './fs-io.js';

export type { RunMeta } from '../report/experiment.js';

/** Writes everything into `dir`; returns the written paths. */
export async function writeExperimentOutputs(
  dir: string,
  outcomes: readonly HeadOutcome[],
  meta: RunMeta,
  anomalySet: Dataset,
  pictures = 4,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for await (const f of experimentFiles(outcomes, meta, anomalySet, pictures)) {
    const p = path.join(dir, f.name);
    await writeFileAtomic(p, f.bytes);
    written.push(p);
  }
  return written;
}
