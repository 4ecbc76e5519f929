/**
 * `gmmseg metrics anomaly|miou`: evaluates saved score / prediction / label maps (NumPy `.npy`) with the
 * project's benchmark-exact metrics, so any method's outputs can be scored with our evaluator.
 *
 *   gmmseg metrics anomaly --scores S.npy --labels L.npy [--mode exact|binned|smiyc] [--bins N] [--json]
 *   gmmseg metrics miou --pred P.npy --labels L.npy --classes N [--ignore-index 255] [--json]
 *
 * `--json` prints exactly one JSON object ({"auroc","ap","fpr95"} or {"miou","iou":[…],"accuracy"}; fractions
 * in [0, 1], NaN as null). User errors print one line `gmmseg metrics: …` naming the file, and set exit code 1.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { GmmsegError, ValueError } from '../errors.js';
import { parseNpy, type NpyArray, type NpyDtype } from '../data/npy.js';
import { accumulateHistogram, binnedMetrics, createHistogram, scoreRange, uniformEdges } from '../metrics/binned.js';
import { confusionFromArrays } from '../metrics/confusion.js';
import { anomalyMetricsExact, type AnomalyMetrics } from '../metrics/ranking.js';
import { segmentationMetrics } from '../metrics/segmentation.js';
import { smiycFrameBins, smiycPixelMetrics, SMIYC_NUM_BINS } from '../metrics/smiyc.js';
import { processIo, runUserCommand, type CommandIo } from './command-io.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { DEFAULT_METRICS_BINS, METRICS_ANOMALY_OPTIONS, METRICS_MIOU_OPTIONS } from './options.js';

/** Where the command writes; tests pass their own to capture output. */
export type MetricsIo = CommandIo;

/** A user error: printed as one line, exit code 1. */
class CliError extends GmmsegError {}

const SCORE_DTYPES: readonly NpyDtype[] = ['float16', 'float32', 'float64'];
const LABEL_DTYPES: readonly NpyDtype[] = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
];

type AnomalyOpts = OptionValues<typeof METRICS_ANOMALY_OPTIONS>;
type MiouOpts = OptionValues<typeof METRICS_MIOU_OPTIONS>;

/**
 * The `metrics` command with its `anomaly` and `miou` subcommands.
 *
 * @example program.addCommand(metricsCommand());
 */
export function metricsCommand(io: MetricsIo = processIo): Command {
  const cmd = new Command('metrics').description(
    'score saved .npy maps with the benchmark metrics (anomaly AUROC/AP/FPR95, closed-set mIoU)',
  );
  const anomaly = cmd
    .command('anomaly')
    .description('pixel AUROC, AP and FPR@95%TPR of anomaly scores (label 1 anomaly, 0 inlier, anything else void)');
  addOptions(anomaly, METRICS_ANOMALY_OPTIONS).action((raw: Record<string, unknown>) =>
    runUserCommand('metrics', io, () => runAnomaly(readOptions(METRICS_ANOMALY_OPTIONS, raw), io)),
  );
  const miou = cmd
    .command('miou')
    .description('closed-set IoU per class, mIoU (nan-mean, mmsegmentation) and pixel accuracy');
  addOptions(miou, METRICS_MIOU_OPTIONS).action((raw: Record<string, unknown>) =>
    runUserCommand('metrics', io, () => runMiou(readOptions(METRICS_MIOU_OPTIONS, raw), io)),
  );
  return cmd;
}

function runAnomaly(opts: AnomalyOpts, io: MetricsIo): void {
  const mode = opts.mode;
  if (opts.bins !== undefined && mode !== 'binned')
    throw new CliError(`--bins applies only to --mode binned (got --mode ${mode})`);
  const bins = opts.bins ?? DEFAULT_METRICS_BINS;
  const scores = readArray(opts.scores, SCORE_DTYPES, 'scores');
  const labels = readArray(opts.labels, LABEL_DTYPES, 'labels');
  checkSameShape(scores, opts.scores, labels, opts.labels);
  const s = scores.data as Float32Array | Float64Array;
  const l = toNumbers(labels);
  let m: AnomalyMetrics;
  let note: string;
  try {
    if (mode === 'exact') {
      m = anomalyMetricsExact(s, l);
      note = 'exact (all valid pixels, ties collapsed; sklearn / Fishyscapes definitions)';
    } else if (mode === 'binned') {
      const h = accumulateHistogram(createHistogram(uniformEdges(scoreRange(s, l), bins)), s, l);
      const b = binnedMetrics(h);
      m = b;
      note = `binned (${bins} equal-width bins); worst-case error vs exact: |AUROC| ≤ ${fmt(b.bounds.auroc)}, |AP| ≤ ${fmt(b.bounds.ap)}, FPR95 +${fmt(b.bounds.fpr95)}`;
    } else {
      const { frames, frameSize } = framesOf(scores.shape);
      const fb = [];
      for (let f = 0; f < frames; f++) {
        const range = [f * frameSize, (f + 1) * frameSize] as const;
        try {
          fb.push(smiycFrameBins(s.subarray(...range), l.subarray(...range)));
        } catch (e) {
          if (e instanceof GmmsegError) throw new ValueError(`frame ${f}: ${stripFn(e.message)}`);
          throw e;
        }
      }
      const r = smiycPixelMetrics(fb);
      m = r;
      note = `smiyc (float16, ${SMIYC_NUM_BINS} percentile bins per frame, ${frames} frame${frames === 1 ? '' : 's'}); best pixel F1 ${fmt(r.bestF1)} at threshold ${r.bestF1Threshold}`;
    }
  } catch (e) {
    if (e instanceof GmmsegError && !(e instanceof CliError))
      throw new CliError(`${opts.scores} with ${opts.labels}: ${stripFn(e.message)}`);
    throw e;
  }
  if (opts.json === true) {
    io.out(`${JSON.stringify({ auroc: m.auroc, ap: m.ap, fpr95: m.fpr95 })}\n`);
    return;
  }
  const voidCount = l.length - m.numPos - m.numNeg;
  io.out(
    [
      `metric  value`,
      `AUROC   ${fmt(m.auroc)}`,
      `AP      ${fmt(m.ap)}`,
      `FPR95   ${fmt(m.fpr95)}`,
      `pixels: ${m.numPos} anomaly, ${m.numNeg} inlier, ${voidCount} void`,
      `mode: ${note}`,
      '',
    ].join('\n'),
  );
}

function runMiou(opts: MiouOpts, io: MetricsIo): void {
  const C = opts.classes;
  const ignore = opts.ignoreIndex;
  const pred = readArray(opts.pred, LABEL_DTYPES, 'predictions');
  const labels = readArray(opts.labels, LABEL_DTYPES, 'labels');
  checkSameShape(pred, opts.pred, labels, opts.labels);
  const p = toNumbers(pred);
  const l = toNumbers(labels);
  for (let i = 0; i < l.length; i++) {
    const v = l[i] as number;
    if (v !== ignore && (v < 0 || v >= C)) {
      throw new CliError(
        `${opts.labels}: label value ${v} at flat index ${i} is outside [0, ${C}) and is not the ignore index ${ignore}`,
      );
    }
    const q = p[i] as number;
    if (v !== ignore && (q < 0 || q >= C))
      throw new CliError(`${opts.pred}: predicted class ${q} at flat index ${i} is outside [0, ${C})`);
  }
  let r;
  try {
    r = segmentationMetrics(confusionFromArrays(p, l, C, ignore));
  } catch (e) {
    if (e instanceof GmmsegError) throw new CliError(`${opts.labels}: ${stripFn(e.message)}`);
    throw e;
  }
  if (opts.json === true) {
    io.out(`${JSON.stringify({ miou: r.miou, iou: Array.from(r.iou), accuracy: r.accuracy })}\n`);
    return;
  }
  const lines = ['class  IoU       accuracy'];
  r.iou.forEach((v, c) =>
    lines.push(`${String(c).padEnd(6)} ${fmt(v).padEnd(9)} ${fmt(r.classAccuracy[c] as number)}`),
  );
  lines.push(
    `mIoU ${fmt(r.miou)} (nan-mean over ${r.iou.filter((v) => !Number.isNaN(v)).length} classes present), pixel accuracy ${fmt(r.accuracy)}, ${r.numPixels} pixels`,
  );
  io.out(`${lines.join('\n')}\n`);
}

/** Reads and parses an .npy file, checking its dtype. */
function readArray(path: string, dtypes: readonly NpyDtype[], what: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, expected an .npy file'
          : code === 'EACCES'
            ? 'permission denied'
            : String((e as Error).message);
    throw new CliError(`cannot read ${what} file ${path}: ${why}`);
  }
  const arr = parseNpy(bytes, path);
  if (!dtypes.includes(arr.dtype))
    throw new CliError(`${path}: ${what} have dtype ${arr.dtype}, expected one of ${dtypes.join(', ')}`);
  return arr;
}

function checkSameShape(a: NpyArray, aPath: string, b: NpyArray, bPath: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new CliError(
      `${aPath} has shape (${a.shape.join(', ')}) but ${bPath} has shape (${b.shape.join(', ')}); they must match pixel for pixel`,
    );
  }
}

/** Integer labels as float64 (exact for every label that can be in range; huge int64 stay out of range). */
function toNumbers(arr: NpyArray): Float64Array {
  const d = arr.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (v) => Number(v));
  return Float64Array.from(d as ArrayLike<number>);
}

/** [F, …, H, W] → F = product of the leading dimensions; rank ≤ 2 is one frame. */
function framesOf(shape: readonly number[]): { frames: number; frameSize: number } {
  const total = shape.reduce((a, b) => a * b, 1);
  if (shape.length <= 2) return { frames: 1, frameSize: total };
  const frameSize = (shape[shape.length - 2] as number) * (shape[shape.length - 1] as number);
  return { frames: frameSize === 0 ? 0 : total / frameSize, frameSize };
}

/** Drops a leading "functionName: " from a library message. */
function stripFn(msg: string): string {
  return msg.replace(/^[A-Za-z]+: /, '');
}

function fmt(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v.toFixed(6);
}
