/**
 * `gmmseg predict --model M IMAGE… [--out DIR]`: for each image writes the colour class map, the raw class indices,
 * the anomaly heat map (fixed scale: [m, 2·t − m] from the model's calibration — t the threshold at 95% inlier TPR,
 * m the inlier median — so the threshold is the middle colour of the inferno bar; with `--threshold T` and no
 * calibration, [T − 10, T + 10] score units), an overlay with flagged regions outlined, optional per-class likelihood
 * maps, and a JSON summary (class histogram, anomaly fraction above the threshold).
 */
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OUTLINE_RGB } from '../constants.js';
import { decodeImage, encodeLabelPng, encodeRgbPng } from '../data/image-io.js';
import { FormatError, GmmsegError } from '../errors.js';
import { anomalySettings } from '../infer/anomaly-settings.js';
import { heatmap, thresholdMask, type HeatScale } from '../infer/heatmap.js';
import { outlineMask, overlay } from '../infer/overlay.js';
import { colorizeLabels, paletteFor } from '../infer/palette.js';
import { isMultiView } from '../infer/multi-view.js';
import { predictImage, type AnomalyScoreName, type PredictOptions } from '../infer/predict.js';
import type { SegModel } from '../model/seg-model.js';
import {
  cleanStaleTemps,
  oneLine,
  processIo,
  describeViews,
  predictSettings,
  runUserCommand,
  startEngine,
  type CommandIo,
} from './command-io.js';
import { errnoReason, writeFileAtomic } from './fs-io.js';
import { loadSegModel } from './load-model.js';
import { addOptions, readOptions, type OptionValues } from './option-table.js';
import { PREDICT_OPTIONS } from './options.js';
import { uniqueStems } from './output-names.js';
import { prepareOutputFolder } from './output-paths.js';
import { DATASET_PALETTES } from '../data/palettes.js';

type PredictFlags = OptionValues<typeof PREDICT_OPTIONS>;

export function predictCommand(io: CommandIo = processIo): Command {
  const cmd = new Command('predict')
    .description('segment images: class map, anomaly heat map, overlay and a JSON summary per image')
    .argument('<images...>', 'PNG/JPEG/WebP images');
  return addOptions(cmd, PREDICT_OPTIONS).action(async (images: string[], raw: Record<string, unknown>) =>
    runUserCommand('predict', io, () => runPredict(images, readOptions(PREDICT_OPTIONS, raw), io)),
  );
}

/** The files written per image, by suffix (the likelihoods only with --class-likelihoods). */
const OUTPUT_SUFFIXES = ['.classes.png', '.labels.png', '.anomaly.png', '.overlay.png', '.likelihoods.f32', '.json'];

/** What every image's prediction shares. */
interface PredictContext {
  model: SegModel;
  predict: PredictOptions;
  score: AnomalyScoreName;
  threshold: number;
  scale: HeatScale;
  io: CommandIo;
}

/**
 * Loads the model, checks --out and names every image's outputs (unique stems, said when renamed), then predicts
 * each image; a bad image is reported and skipped, and the command fails at the end (exit 1) naming the images that
 * failed.
 */
async function runPredict(images: string[], flags: PredictFlags, io: CommandIo): Promise<void> {
  predictSettings(flags); // flag errors before the model is read
  await startEngine(flags.engine, { io, command: 'predict' });
  const { model, file, views } = await loadSegModel(flags.model);
  const predict = { ...predictSettings(flags, views), classLikelihoods: flags.classLikelihoods };
  if (isMultiView(predict)) io.out(`gmmseg predict: ${describeViews(predict)}\n`);
  const overrides = {
    ...(flags.score !== undefined ? { score: flags.score } : {}),
    ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
  };
  const { score, threshold, heatScale } = anomalySettings(model.head.kind, file.calibration, overrides, flags.model);
  await prepareOutputFolder(flags.out, '--out');
  const stems = uniqueStems(images);
  const bases = stems.map((s) => path.join(flags.out, s.stem));
  await cleanStaleTemps(
    bases.flatMap((b) => OUTPUT_SUFFIXES.map((x) => `${b}${x}`)),
    io,
    'predict',
  );
  stems.forEach((s, i) => {
    if (s.renamed) io.err(`gmmseg predict: ${images[i]} → ${bases[i]}.* (${s.renamed})\n`);
  });
  const ctx: PredictContext = { model, predict, score, threshold, scale: heatScale, io };
  const failed: string[] = [];
  for (const [i, img] of images.entries()) {
    try {
      await predictOne(img, bases[i] as string, ctx);
    } catch (e) {
      if (!(e instanceof GmmsegError)) throw e;
      io.err(`gmmseg predict: ${img}: ${oneLine(e.message)}\n`);
      failed.push(img);
    }
  }
  if (failed.length > 0) {
    const shown = failed.slice(0, 5).join(', ') + (failed.length > 5 ? ', …' : '');
    throw new GmmsegError(`${failed.length} of ${images.length} image(s) failed (${shown}); the others were written`);
  }
}

/** Reads, predicts and writes one image: `<base>.classes.png`, `.labels.png`, `.anomaly.png`, `.overlay.png`, `.json`. */
async function predictOne(img: string, base: string, ctx: PredictContext): Promise<void> {
  const { model, predict, score, threshold, scale, io } = ctx;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(img);
  } catch (e) {
    throw new FormatError(`cannot read image '${img}': ${errnoReason(e)}`);
  }
  const image = await decodeImage(bytes, img);
  const m = model.extractor.sizeMultiple;
  if (predict.mode === 'whole' && (image.width % m !== 0 || image.height % m !== 0))
    io.err(
      `note: ${img} is ${image.width}×${image.height}; resized to a multiple of ${m} for the network, outputs at the original size\n`,
    );
  const p = predictImage(model, image, predict);
  const scores = p.scores[score] as Float32Array;
  const flagged = thresholdMask(scores, threshold);
  const heat = heatmap({ width: image.width, height: image.height, data: scores }, scale);
  const classMap = { width: image.width, height: image.height, data: p.classMap };
  await writeFileAtomic(
    `${base}.classes.png`,
    encodeRgbPng(colorizeLabels(classMap, paletteFor(model.classes, DATASET_PALETTES))),
  );
  await writeFileAtomic(`${base}.labels.png`, encodeLabelPng(classMap));
  await writeFileAtomic(`${base}.anomaly.png`, encodeRgbPng(heat));
  const outlined = outlineMask(overlay(image, heat, 0.5, flagged), flagged, OUTLINE_RGB);
  await writeFileAtomic(`${base}.overlay.png`, encodeRgbPng(outlined));
  if (p.classLikelihoods)
    await writeFileAtomic(`${base}.likelihoods.f32`, new Uint8Array(p.classLikelihoods.buffer.slice(0)));
  const hist = model.classes.map(() => 0);
  p.classMap.forEach((c) => (hist[c] = (hist[c] as number) + 1));
  const summary = {
    image: img,
    width: image.width,
    height: image.height,
    score,
    threshold,
    heatScale: scale,
    anomalyFraction: flagged.reduce((s, v) => s + v, 0) / flagged.length,
    classHistogram: Object.fromEntries(model.classes.map((c, i) => [c, (hist[i] as number) / p.classMap.length])),
  };
  await writeFileAtomic(`${base}.json`, new TextEncoder().encode(`${JSON.stringify(summary, null, 2)}\n`));
  io.out(
    `${img}: anomaly fraction ${(100 * summary.anomalyFraction).toFixed(2)} % (score ${score} > ${threshold.toPrecision(5)}) → ${base}.*\n`,
  );
}
