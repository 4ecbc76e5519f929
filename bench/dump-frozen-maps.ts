/**
 * `npm run bench:dump-frozen-maps -- --set train|train-heldout|test-heldout|test-pasted --out PREFIX [--camvid PATH]
 *   [--engine torch|wasm|cpu]`
 *
 * Writes the frozen COCO MobileNetV3 maps (the `mbv3` extractor's backbone: s8 [44, 60, 192] and s32 [11, 15, 480] at
 * 352 × 480) of every image of one CamVid set, with its labels, for the offline probe `bench/probe_frozen_gmm.py`
 * (per-class GMMs and a linear softmax on the raw frozen features, as `../shared/docs/probe-camvid.md`). Sets:
 * `train` (11 classes), `train-heldout` (the `camvid-heldout` closed set: Pedestrian and Bicyclist ignored),
 * `test-heldout` (its anomaly view: held-out pixels are the anomalies) and `test-pasted` (the `camvid-anomaly`
 * pasted-object protocol on the test split). Images are resized (bilinear) to the size multiple as in training's
 * frozen cache; labels and anomaly masks follow by nearest neighbour.
 *
 * Files: `PREFIX.json` = `{classes, anomaly, entries: [{shapes, labelSize}]}`; `PREFIX.bin` = per image its maps
 * (float32, little-endian, [h, w, c] each), its label bytes and, when `anomaly`, its anomaly-mask bytes (0 inlier,
 * 1 anomaly, 255 void). Each written atomically (temp + rename).
 */
import { camvidRoot, flag } from './args.js';
import * as tf from '@tensorflow/tfjs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { resizeImageBilinear, resizeLabelNearest } from '../src/data/augment.js';
import { openCamVidAnomaly } from '../src/data/camvid-anomaly.js';
import { openCamVid } from '../src/data/camvid.js';
import { holdOutClasses } from '../src/data/held-out.js';
import type { Dataset } from '../src/data/sample.js';
import { initEngine, machineSummary, parseEngineName } from '../src/engine/engine.js';
import { createExtractor } from '../src/nn/registry.js';
import { createRng } from '../src/random.js';

const camvid = camvidRoot();
const set = flag('--set');
const out = flag('--out');
const sets = ['train', 'train-heldout', 'test-heldout', 'test-pasted'];
if (!set || !sets.includes(set) || !out) {
  process.stderr.write(`bench:dump-frozen-maps: give --set ${sets.join('|')} and --out PREFIX\n`);
  process.exit(2);
}
const engineArg = flag('--engine');
const engine = await initEngine(engineArg ? parseEngineName(engineArg, '--engine') : undefined);
const heldOut = ['Pedestrian', 'Bicyclist'];

async function openSet(name: string): Promise<Dataset> {
  if (name === 'train') return openCamVid(camvid, 'train');
  if (name === 'train-heldout') return holdOutClasses(await openCamVid(camvid, 'train'), heldOut).closedSet;
  if (name === 'test-heldout') return holdOutClasses(await openCamVid(camvid, 'test'), heldOut).anomaly;
  return (await openCamVidAnomaly(camvid)).anomaly;
}

const ds = await openSet(set);
const extractor = await createExtractor('mbv3', {}, createRng(0));
const frozen = extractor.frozenForward?.bind(extractor);
if (!frozen) throw new Error('bench:dump-frozen-maps: the mbv3 extractor has no frozen backbone');
const m = extractor.sizeMultiple;
process.stdout.write(
  `bench:dump-frozen-maps: engine ${engine}, ${machineSummary()}; ${ds.name}, ${ds.length} images\n`,
);
const tmp = `${out}.bin.${process.pid}.tmp`;
const entries: { shapes: number[][]; labelSize: [number, number] }[] = [];
const fh = await open(tmp, 'w');
try {
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const H = Math.max(m, Math.round(s.image.height / m) * m);
    const W = Math.max(m, Math.round(s.image.width / m) * m);
    const image = resizeImageBilinear(s.image, W, H);
    const maps = tf.tidy(() => frozen(tf.tensor4d(Float32Array.from(image.data), [1, H, W, 3])));
    for (const t of maps) {
      const d = t.dataSync() as Float32Array;
      await fh.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    await fh.write(resizeLabelNearest(s.label, W, H).data);
    if (ds.hasAnomaly) {
      if (!s.anomaly) throw new Error(`bench:dump-frozen-maps: ${ds.name} image ${i} has no anomaly mask`);
      await fh.write(resizeLabelNearest(s.anomaly, W, H).data);
    }
    entries.push({ shapes: maps.map((t) => t.shape.slice(1)), labelSize: [H, W] });
    maps.forEach((t) => t.dispose());
  }
} catch (e) {
  await fh.close();
  await rm(tmp, { force: true });
  throw e;
}
await fh.close();
await rename(tmp, `${out}.bin`);
await writeFile(`${out}.json.tmp`, JSON.stringify({ classes: ds.classes, anomaly: ds.hasAnomaly, entries }));
await rename(`${out}.json.tmp`, `${out}.json`);
process.stdout.write(`wrote ${out}.bin and ${out}.json (${entries.length} images)\n`);
