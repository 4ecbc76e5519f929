/**
 * Opens a dataset for a command with every sample checked first (labels decoded and range-checked, images decoded,
 * sizes compared; see ReaderOptions.validate), so a bad sample fails before any work with a message naming its file,
 * or — with `--skip-bad` — is left out and listed. A progress bar shows on large sets.
 */
import type { Dataset } from '../data/sample.js';
import type { CommandIo } from './command-io.js';
import { openDataset, type DatasetRequest } from './datasets.js';
import { createCountProgress } from './progress.js';

/** Opens `name` with `req` (validation on); prints what was skipped and how long the check took. */
export async function openCheckedDataset(
  name: string,
  req: DatasetRequest,
  ctx: { io: CommandIo; command: string },
): Promise<Dataset> {
  const progress = createCountProgress(`checking ${name} ${req.split}`);
  const t0 = performance.now();
  let ds: Dataset;
  try {
    ds = await openDataset(name, { ...req, validate: true, onProgress: progress.update });
  } finally {
    progress.stop();
  }
  if (ds.pairs.length + ds.skipped.length > 0) {
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const skipped = ds.skipped.length > 0 ? `, ${ds.skipped.length} skipped` : '';
    ctx.io.out(`gmmseg ${ctx.command}: checked ${ds.name}: ${ds.length} good samples${skipped} (${seconds} s)\n`);
  }
  for (const s of ds.skipped) ctx.io.err(`gmmseg ${ctx.command}: skipped ${s.file}: ${s.reason}\n`);
  return ds;
}
