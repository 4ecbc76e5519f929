/**
 * Sharded evaluation over a process group: each rank evaluates images r, r + W, … of a set
 * ({@link shardByRank}) and the partial counts are combined so that every rank ends with exactly what one process
 * evaluating every image holds:
 *
 * - confusion counts, labelled and image numbers: one float64 all-reduce (sum; integers, exact up to 2⁵³);
 * - tie tables (distinct float32 score → positive / negative counts, variable length): each rank's table as its two
 *   coded runs (`count-run.ts`); their byte lengths are all-gathered, then the runs padded to the longest, and every
 *   rank merges them in rank order. Merging adds counts of equal keys, so the merged table — hence AUROC, AP and
 *   FPR95 — is bit-identical to the single-process one;
 * - calibration inlier scores (float32): lengths all-gathered, then the padded scores; the quantile sorts them, so
 *   the concatenation order does not matter.
 *
 * Every rank calls these in the same order (they are collectives).
 */
import { checkIndex, type Dataset } from '../data/sample.js';
import type { AnomalyScoreName } from '../infer/predict.js';
import { EMPTY_RUN, type CountRun } from '../metrics/count-run.js';
import { TieStream } from '../metrics/tie-stream.js';
import type { Collective } from './data-parallel.js';

/** Every anomaly score name (a record, so a new name fails to compile until it is listed), in a fixed order. */
const SCORE_NAMES: Record<AnomalyScoreName, true> = { energy: true, gmm: true, maxLogit: true, msp: true };
export const ALL_SCORE_NAMES = Object.keys(SCORE_NAMES).sort() as AnomalyScoreName[];

/** Images `rank`, `rank + worldSize`, … of `ds` (the samples keep their ids). */
export function shardByRank(ds: Dataset, group: Pick<Collective, 'rank' | 'worldSize'>): Dataset {
  const { rank, worldSize: W } = group;
  if (W === 1) return ds;
  const length = Math.max(0, Math.ceil((ds.length - rank) / W));
  return {
    name: ds.name,
    classes: ds.classes,
    length,
    hasAnomaly: ds.hasAnomaly,
    pairs: ds.pairs.filter((_, i) => i % W === rank),
    skipped: ds.skipped,
    get: (i: number) => ds.get(checkIndex(i, length, ds.name) * W + rank),
  };
}

/** `a` summed over ranks (float64). */
export function sumOverRanks(group: Collective, a: Float64Array): Float64Array {
  return group.allReduce(a, 'sum');
}

/** Which of {@link ALL_SCORE_NAMES} any rank has (the same answer on every rank). */
export function namesOnAnyRank(group: Collective, mine: readonly AnomalyScoreName[]): AnomalyScoreName[] {
  const flags = Int32Array.from(ALL_SCORE_NAMES, (n) => (mine.includes(n) ? 1 : 0));
  const any = group.allReduce(flags, 'max');
  return ALL_SCORE_NAMES.filter((_, i) => any[i] === 1);
}

/** The tie stream of every rank's pixels, merged in rank order (this rank's `mine` may be absent: no pixels). */
export function gatherTieStream(group: Collective, mine: TieStream | undefined): TieStream {
  const W = group.worldSize;
  const runs = mine?.runs() ?? { pos: EMPTY_RUN, neg: EMPTY_RUN };
  const { pos, neg } = runs;
  const header = group.allGather(
    Float64Array.from([pos.bytes.length, pos.entries, pos.total, neg.bytes.length, neg.entries, neg.total]),
  );
  let maxBytes = 0;
  for (let r = 0; r < W; r++) maxBytes = Math.max(maxBytes, (header[6 * r] as number) + (header[6 * r + 3] as number));
  const words = Math.ceil(maxBytes / 4);
  const send = new Int32Array(words);
  const sendBytes = new Uint8Array(send.buffer);
  sendBytes.set(pos.bytes, 0);
  sendBytes.set(neg.bytes, pos.bytes.length);
  const all = group.allGather(send);
  const allBytes = new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  const out = new TieStream();
  for (let r = 0; r < W; r++) {
    const h = header.subarray(6 * r, 6 * r + 6);
    const base = r * words * 4;
    const posLen = h[0] as number;
    const run = (start: number, len: number, entries: number, total: number): CountRun => ({
      bytes: allBytes.slice(base + start, base + start + len),
      entries,
      total,
    });
    out.addRuns(
      run(0, posLen, h[1] as number, h[2] as number),
      run(posLen, h[3] as number, h[4] as number, h[5] as number),
    );
  }
  return out;
}

/** Every rank's float32 values concatenated in rank order. */
export function gatherFloat32(group: Collective, mine: Float32Array): Float32Array {
  const W = group.worldSize;
  const lengths = group.allGather(Float64Array.from([mine.length]));
  const max = Math.max(0, ...lengths);
  const send = new Float32Array(max);
  send.set(mine);
  const all = group.allGather(send);
  const out = new Float32Array(lengths.reduce((a, b) => a + b, 0));
  let off = 0;
  for (let r = 0; r < W; r++) {
    const n = lengths[r] as number;
    out.set(all.subarray(r * max, r * max + n), off);
    off += n;
  }
  return out;
}
