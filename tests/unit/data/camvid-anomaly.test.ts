import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueError } from '../../../src/errors.js';
import { buildCamVidAnomaly, openCamVidAnomaly } from '../../../src/data/camvid-anomaly.js';
import { CAMVID_CLASSES, CAMVID_ROAD } from '../../../src/data/camvid.js';
import { distinctValues } from '../../../src/data/label-codec.js';
import { checkIndex, IGNORE_INDEX, type Dataset, type Sample } from '../../../src/data/sample.js';

const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
const CAMVID = join(PROJECT, '..', 'shared', 'data', 'camvid');
const HAVE_CAMVID = existsSync(join(CAMVID, 'test'));

/** A tiny in-memory road scene set: sky above, road below (from row `roadTop`), a void patch; `withRoad` false → no road. */
function toyRoads(n: number, withRoad = true): Dataset {
  const W = 120;
  const H = 90;
  const roadTop = 40;
  const make = (i: number): Sample => {
    const label = new Uint8Array(W * H);
    const image = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        label[p] = y >= roadTop && withRoad ? CAMVID_ROAD : 0;
        if (x < 10 && y < 10) label[p] = IGNORE_INDEX;
        image.set([(x * 2 + i) % 256, (y * 3) % 256, 90], p * 3);
      }
    }
    return { id: `toy${i}`, image: { width: W, height: H, data: image }, label: { width: W, height: H, data: label } };
  };
  return {
    name: 'toy',
    classes: CAMVID_CLASSES,
    length: n,
    hasAnomaly: false,
    pairs: [],
    skipped: [],
    get: async (i) => make(checkIndex(i, n, 'toy')),
  };
}

/** Checks every invariant of an anomaly sample against its untouched source. */
function checkAnomalySample(a: Sample, base: Sample): { anomalous: number; lowestObjectRow: number } {
  const mask = a.anomaly?.data;
  assert.ok(mask, 'anomaly mask present');
  assert.equal(a.anomaly?.width, base.image.width);
  assert.equal(a.anomaly?.height, base.image.height);
  assert.deepEqual(
    distinctValues(mask).filter((v) => v !== 0 && v !== 1 && v !== IGNORE_INDEX),
    [],
  );
  let anomalous = 0;
  let lowestObjectRow = -1;
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p] as number;
    if (base.label.data[p] === IGNORE_INDEX) assert.ok(m !== 0, 'void stays void unless covered');
    if (m === 1) {
      anomalous++;
      lowestObjectRow = Math.max(lowestObjectRow, Math.floor(p / base.image.width));
      assert.equal(a.label.data[p], IGNORE_INDEX);
    } else if (m === 0) {
      assert.equal(a.label.data[p], base.label.data[p]);
      for (let c = 0; c < 3; c++) assert.equal(a.image.data[p * 3 + c], base.image.data[p * 3 + c]);
    } else {
      assert.equal(a.label.data[p], IGNORE_INDEX);
    }
  }
  return { anomalous, lowestObjectRow };
}

test('buildCamVidAnomaly: objects stand on the road, exact masks, void band, untouched inliers', async () => {
  const base = toyRoads(4);
  const { closedSet, anomaly } = await buildCamVidAnomaly(base, { seed: 1, objectHeight: [20, 40], bandWidth: 2 });
  assert.equal(closedSet, base);
  assert.equal(anomaly.length, 4);
  assert.equal(anomaly.hasAnomaly, true);
  assert.deepEqual(anomaly.classes, CAMVID_CLASSES);
  for (let i = 0; i < 4; i++) {
    const a = await anomaly.get(i);
    const { anomalous, lowestObjectRow } = checkAnomalySample(a, await base.get(i));
    assert.ok(anomalous >= 30, `sample ${i}: ${anomalous} anomalous pixels`);
    assert.ok(lowestObjectRow >= 40 - 3, `sample ${i}: object bottom row ${lowestObjectRow} reaches the road`);
    assert.ok(
      distinctValues(a.anomaly?.data ?? new Uint8Array()).includes(IGNORE_INDEX),
      'a void band surrounds the objects',
    );
  }
  await assert.rejects(anomaly.get(4), ValueError);
});

test('buildCamVidAnomaly is deterministic from the seed; without road it still places objects', async () => {
  const base = toyRoads(2);
  const a = await buildCamVidAnomaly(base, { seed: 9 });
  const b = await buildCamVidAnomaly(base, { seed: 9 });
  const c = await buildCamVidAnomaly(base, { seed: 10 });
  for (const i of [0, 1]) {
    const x = await a.anomaly.get(i);
    assert.deepEqual(await b.anomaly.get(i), x);
    assert.notDeepEqual((await c.anomaly.get(i)).anomaly?.data, x.anomaly?.data);
  }
  const noRoad = toyRoads(1, false);
  const n = await buildCamVidAnomaly(noRoad, { seed: 2, objectHeight: [16, 30] });
  const { anomalous } = checkAnomalySample(await n.anomaly.get(0), await noRoad.get(0));
  assert.ok(anomalous > 0);
});

test('buildCamVidAnomaly validates its options', async () => {
  const base = toyRoads(1);
  await assert.rejects(buildCamVidAnomaly(base, { objectsPerImage: [0, 1] }), /objectsPerImage/);
  await assert.rejects(buildCamVidAnomaly(base, { objectHeight: [50, 10] }), /objectHeight/);
  await assert.rejects(buildCamVidAnomaly(base, { bandWidth: -1 }), /bandWidth/);
  await assert.rejects(buildCamVidAnomaly(base, { seed: 1.5 }), ValueError);
});

test(
  'real CamVid anomaly protocol: a few test images with pasted objects',
  { skip: HAVE_CAMVID ? false : `CamVid not found at ${CAMVID}: folder absent, real-data check not run` },
  async () => {
    const { closedSet, anomaly } = await openCamVidAnomaly(CAMVID, { seed: 1 });
    assert.equal(closedSet.name, 'camvid/test');
    assert.equal(closedSet.length, 233);
    assert.equal(anomaly.length, 233);
    for (const i of [0, 116, 232]) {
      const a = await anomaly.get(i);
      const base = await closedSet.get(i);
      assert.equal(a.image.width, 480);
      assert.equal(a.image.height, 360);
      const { anomalous } = checkAnomalySample(a, base);
      assert.ok(anomalous >= 200, `test[${i}]: ${anomalous} anomalous pixels`);
      assert.ok(distinctValues(a.label.data).every((v) => v <= 10 || v === IGNORE_INDEX));
    }
    const again = await openCamVidAnomaly(CAMVID, { seed: 1 });
    assert.deepEqual(await again.anomaly.get(116), await anomaly.get(116));
  },
);
