import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import { decodeImage, encodeImage } from '../../../src/data/image-io.js';
import { DATASET_PALETTES } from '../../../src/data/palettes.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { heatmap, thresholdMask } from '../../../src/infer/heatmap.js';
import { outlineMask, overlay } from '../../../src/infer/overlay.js';
import { colorizeLabels, paletteFor } from '../../../src/infer/palette.js';
import { predictImage } from '../../../src/infer/predict.js';
import type { SegmentResponse } from '../../../src/server/segment.js';
import { loadTinyModel, multipartBody, png, postImage, sceneImages, serverFor } from './fixture.js';

let loaded: Awaited<ReturnType<typeof loadTinyModel>>;
let app: FastifyInstance;
let images: RgbImage[];

before(async () => {
  loaded = await loadTinyModel();
  app = await serverFor(loaded, { maxRegions: 100_000 });
  images = await sceneImages(3);
});

after(async () => {
  await app.close();
  await rm(loaded.dir, { recursive: true, force: true });
});

/** The answer without its timings (which differ between calls). */
function withoutTiming(r: SegmentResponse): Omit<SegmentResponse, 'timingMs'> {
  const { timingMs: _t, ...rest } = r;
  return rest;
}

function dataUrlBytes(url: string | undefined): Uint8Array {
  assert.ok(url !== undefined && url.startsWith('data:image/png;base64,'), 'expected a PNG data URL');
  return new Uint8Array(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
}

test('raw PNG with every map: sizes, histogram, fraction, regions and pictures agree with the library', async () => {
  const image = images[0] as RgbImage;
  const res = await postImage(app, png(image), 'image/png', '?maps=classes,heat,overlay,raw');
  assert.equal(res.statusCode, 200, res.body);
  const r = res.json() as SegmentResponse;
  const n = image.width * image.height;
  assert.deepEqual([r.width, r.height, r.engine], [image.width, image.height, loaded.engine]);
  assert.ok(r.timingMs.decode >= 0 && r.timingMs.predict > 0 && r.timingMs.total >= r.timingMs.predict);
  // raw arrays
  const labels = new Uint8Array(Buffer.from(r.maps.labels as string, 'base64'));
  const scoreBytes = Buffer.from(r.maps.scores as string, 'base64');
  assert.equal(labels.length, n);
  assert.equal(scoreBytes.length, 4 * n);
  const scores = new Float32Array(n).map((_, i) => scoreBytes.readFloatLE(4 * i));
  // the same numbers as the library's prediction
  const p = predictImage(loaded.model, image, { mode: 'whole' });
  assert.deepEqual(labels, p.classMap);
  assert.deepEqual(scores, p.scores.gmm);
  // class histogram
  const palette = paletteFor(loaded.model.classes, DATASET_PALETTES);
  assert.equal(r.classes.length, loaded.model.classes.length);
  r.classes.forEach((c, i) => {
    const count = labels.filter((l) => l === i).length;
    assert.deepEqual(c, {
      index: i,
      name: loaded.model.classes[i],
      color: [...(palette[i] ?? [])],
      pixels: count,
      fraction: count / n,
    });
  });
  // anomaly fraction and regions
  const { threshold, heatScale } = r.anomaly;
  const flaggedCount = scores.filter((s) => s > threshold).length;
  assert.equal(r.anomaly.fraction, flaggedCount / n);
  assert.equal(r.anomaly.regionsTruncated, false);
  assert.equal(
    r.anomaly.regions.reduce((s, g) => s + g.area, 0),
    flaggedCount,
  );
  for (const g of r.anomaly.regions) {
    assert.ok(g.maxScore > threshold && g.meanScore > threshold && g.meanScore <= g.maxScore);
    assert.ok(
      g.bbox.x >= 0 && g.bbox.y >= 0 && g.bbox.x + g.bbox.width <= r.width && g.bbox.y + g.bbox.height <= r.height,
    );
    assert.ok(g.area <= g.bbox.width * g.bbox.height);
  }
  // pictures
  const classes = await decodeImage(dataUrlBytes(r.maps.classes), 'classes');
  const heat = await decodeImage(dataUrlBytes(r.maps.heat), 'heat');
  const over = await decodeImage(dataUrlBytes(r.maps.overlay), 'overlay');
  for (const pic of [classes, heat, over]) assert.deepEqual([pic.width, pic.height], [image.width, image.height]);
  assert.deepEqual(classes.data, colorizeLabels({ width: r.width, height: r.height, data: labels }, palette).data);
  const expectedHeat = heatmap({ width: r.width, height: r.height, data: scores }, heatScale);
  assert.deepEqual(heat.data, expectedHeat.data);
  const flagged = thresholdMask(scores, threshold);
  assert.deepEqual(over.data, outlineMask(overlay(image, expectedHeat, 0.5, flagged), flagged, [0, 255, 255]).data);
});

test('the model threshold and heat scale are the calibrated ones; no maps unless asked; no tensor is leaked', async () => {
  const cal = loaded.file.calibration as { score: string; threshold: number; inlierMedian: number };
  const tensorsBefore = tf.memory().numTensors;
  const res = await postImage(app, png(images[1] as RgbImage));
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  const r = res.json() as SegmentResponse;
  assert.deepEqual(r.maps, {});
  assert.equal(r.anomaly.score, cal.score);
  assert.equal(r.anomaly.threshold, cal.threshold);
  const delta = cal.threshold - cal.inlierMedian;
  assert.ok(delta > 0, 'the tiny model should have a threshold above the inlier median');
  assert.deepEqual(r.anomaly.heatScale, { min: cal.threshold - delta, max: cal.threshold + delta });
});

test('a multipart upload gives the same answer as the raw body', async () => {
  const bytes = png(images[1] as RgbImage);
  const raw = (await postImage(app, bytes, 'image/png', '?maps=raw')).json() as SegmentResponse;
  const form = multipartBody([{ field: 'image', filename: 'scene.png', type: 'image/png', data: bytes }]);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/segment?maps=raw',
    headers: { 'content-type': form.contentType },
    payload: form.body,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(withoutTiming(res.json() as SegmentResponse), withoutTiming(raw));
});

test('JPEG and WebP uploads are decoded and segmented at their size', async () => {
  const image = images[2] as RgbImage;
  for (const [format, type] of [
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
  ] as const) {
    const bytes = Buffer.from(await encodeImage(image, format));
    const res = await postImage(app, bytes, type, '?maps=raw');
    assert.equal(res.statusCode, 200, `${format}: ${res.body}`);
    const r = res.json() as SegmentResponse;
    assert.deepEqual([r.width, r.height], [image.width, image.height]);
    assert.equal(Buffer.from(r.maps.labels as string, 'base64').length, image.width * image.height);
  }
});

test("?threshold= overrides the flagging threshold only (the heat scale stays the model's)", async () => {
  const bytes = png(images[0] as RgbImage);
  const base = (await postImage(app, bytes, 'image/png', '?maps=raw')).json() as SegmentResponse;
  const buf = Buffer.from(base.maps.scores as string, 'base64');
  const scores = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(4 * i)).sort((a, b) => a - b);
  const t = scores[Math.floor(scores.length / 2)] as number; // the median: about half the pixels flagged
  const res = await postImage(app, bytes, 'image/png', `?threshold=${t}`);
  assert.equal(res.statusCode, 200, res.body);
  const r = res.json() as SegmentResponse;
  assert.equal(r.anomaly.threshold, t);
  assert.deepEqual(r.anomaly.heatScale, base.anomaly.heatScale);
  const flagged = scores.filter((s) => s > t).length;
  assert.equal(r.anomaly.fraction, flagged / scores.length);
  assert.equal(
    r.anomaly.regions.reduce((s, g) => s + g.area, 0),
    flagged,
  );
  assert.ok(r.anomaly.fraction > base.anomaly.fraction);
});

test('minRegionArea and maxRegions filter and cut the region list, largest first', async () => {
  const bytes = png(images[0] as RgbImage);
  const all = ((await postImage(app, bytes)).json() as SegmentResponse).anomaly.regions;
  assert.ok(all.length >= 2, `the test image should give at least two regions, got ${all.length}`);
  for (let i = 1; i < all.length; i++)
    assert.ok((all[i - 1] as { area: number }).area >= (all[i] as { area: number }).area);
  const small = await serverFor(loaded, { maxRegions: 1, minRegionArea: 2 });
  try {
    const r = ((await postImage(small, bytes)).json() as SegmentResponse).anomaly;
    assert.deepEqual(r.regions, all.filter((g) => g.area >= 2).slice(0, 1));
    assert.equal(r.regionsTruncated, all.filter((g) => g.area >= 2).length > 1);
  } finally {
    await small.close();
  }
});
