/**
 * Road Anomaly (Lis et al., ICCV 2019; evaluation only): `<root>/frame_list.json` lists the image file names,
 * images are `<root>/frames/<name>` (.jpg or .webp) and labels `<root>/frames/<stem>.labels/labels_semantic.png`.
 * Original labels use 2 = anomaly and 0 = normal: 2 → 1, everything else → 0. Repackaged copies that already
 * hold 0/1 (optionally 255 = void) are detected by the values present and kept. No semantic labels: `label`
 * is all 255.
 */
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { listingProblem, openFileDataset } from './file-dataset.js';
import { readText, resolveFiles, stripExt, walkFiles, type ReaderOptions } from './files.js';
import { anomalyMaskCodec, type LabelCodec } from './label-codec.js';
import { CITYSCAPES_CLASSES } from './cityscapes.js';
import type { Dataset, FilePair, SkippedFile } from './sample.js';

/** Opens Road Anomaly from the folder holding `frame_list.json` and `frames/`. */
export async function openRoadAnomaly(root: string, options: ReaderOptions = {}): Promise<Dataset> {
  const fn = 'openRoadAnomaly';
  const files = resolveFiles(options.files);
  const name = 'road-anomaly';
  const listFile = join(root, 'frame_list.json');
  const names = parseFrameList(await readText(files, listFile, 'Road Anomaly frame list', fn), listFile);
  const framesDir = join(root, 'frames');
  const present = new Set(await walkFiles(files, framesDir, 'Road Anomaly frames', fn));
  const pairs: FilePair[] = [];
  const skipped: SkippedFile[] = [];
  for (const frame of names) {
    const image = join(framesDir, frame);
    const labelRel = `${stripExt(frame)}.labels/labels_semantic.png`;
    const label = join(framesDir, labelRel);
    if (!present.has(frame)) {
      listingProblem(
        options.skipBad,
        skipped,
        image,
        `${name}: '${frame}' is listed in '${listFile}' but '${image}' is missing`,
      );
    } else if (!present.has(labelRel)) {
      listingProblem(options.skipBad, skipped, image, `${name}: image '${image}' has no label (expected '${label}')`);
    } else {
      pairs.push({ id: stripExt(frame), image, label });
    }
  }
  return openFileDataset({ name, classes: CITYSCAPES_CLASSES, pairs, skipped, codec: roadAnomalyCodec() }, options);
}

/** 2 present → original encoding (2 → 1, else 0); otherwise the values must already be 0/1/255. */
export function roadAnomalyCodec(): LabelCodec {
  const already = anomalyMaskCodec();
  return {
    kind: 'anomaly',
    map(raw, width, file) {
      if (!raw.includes(2)) return already.map(raw, width, file);
      const out = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = raw[i] === 2 ? 1 : 0;
      return out;
    },
  };
}

function parseFrameList(text: string, file: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new FormatError(
      `openRoadAnomaly: '${file}' is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '' || x.includes('..'))) {
    throw new FormatError(`openRoadAnomaly: '${file}' must be a JSON array of image file names relative to frames/`);
  }
  if (new Set(list).size !== list.length) throw new FormatError(`openRoadAnomaly: '${file}' lists a file name twice`);
  return list as string[];
}
