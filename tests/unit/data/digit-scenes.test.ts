import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/errors.js';
import { buildDigitScenes, deriveSeed, DIGIT_SCENES_CLASSES, overlapFraction } from '../../../src/data/digit-scenes.js';
import { distinctValues } from '../../../src/data/label-codec.js';
import { IGNORE_INDEX, samples, type Dataset, type Sample } from '../../../src/data/sample.js';

const SMALL = { trainCount: 120, testCount: 12, anomalyCount: 12 };

async function all(ds: Dataset): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of samples(ds)) out.push(s);
  return out;
}

test('default DigitScenes: 300/100/100 canvases of 128x128, 11 classes, anomaly masks only on the anomaly split', async () => {
  const ds = await buildDigitScenes();
  assert.deepEqual([ds.train.length, ds.test.length, ds.anomaly.length], [300, 100, 100]);
  assert.deepEqual(ds.train.classes, DIGIT_SCENES_CLASSES);
  assert.equal(DIGIT_SCENES_CLASSES.length, 11);
  assert.deepEqual([ds.train.hasAnomaly, ds.test.hasAnomaly, ds.anomaly.hasAnomaly], [false, false, true]);
  const s = await ds.train.get(299);
  assert.equal(s.image.width, 128);
  assert.equal(s.image.height, 128);
  assert.equal(s.image.data.length, 128 * 128 * 3);
  assert.equal(s.label.data.length, 128 * 128);
  assert.equal(s.anomaly, undefined);
  await assert.rejects(ds.train.get(300), ValueError);
});

test('same seed → identical bytes in every split; another seed differs; get(i) is repeatable', async () => {
  const a = await buildDigitScenes({ seed: 7, ...SMALL });
  const b = await buildDigitScenes({ seed: 7, ...SMALL });
  const c = await buildDigitScenes({ seed: 8, ...SMALL });
  for (const split of ['train', 'test', 'anomaly'] as const) {
    for (const i of [0, 5, 11]) {
      const x = await a[split].get(i);
      assert.deepEqual(await b[split].get(i), x, `${split}[${i}]`);
      assert.deepEqual(await a[split].get(i), x, `${split}[${i}] again`);
      assert.notDeepEqual((await c[split].get(i)).image.data, x.image.data, `${split}[${i}] other seed`);
    }
  }
  assert.notEqual(deriveSeed(7, 1, 0), deriveSeed(7, 1, 1));
  assert.notEqual(deriveSeed(7, 1, 0), deriveSeed(7, 2, 0));
});

test('labels: values in {0..10, 255}, background and a void ring always present, every digit class seen', async () => {
  const ds = await buildDigitScenes({ seed: 3, ...SMALL });
  const seen = new Set<number>();
  for (const s of [...(await all(ds.train)), ...(await all(ds.test))]) {
    const values = distinctValues(s.label.data);
    assert.ok(
      values.every((v) => v <= 10 || v === IGNORE_INDEX),
      `${s.id}: ${values}`,
    );
    assert.ok(values.includes(0) && values.includes(IGNORE_INDEX), `${s.id}: ${values}`);
    assert.ok(
      values.some((v) => v >= 1 && v <= 10),
      `${s.id} has a digit`,
    );
    values.forEach((v) => seen.add(v));
  }
  for (let c = 1; c <= 10; c++) assert.ok(seen.has(c), `class ${c} appears`);
});

test('class balance: each digit class holds 4-18 % of the digit pixels; background dominates', async () => {
  const ds = await buildDigitScenes({ seed: 11, ...SMALL });
  const counts = new Array<number>(256).fill(0);
  for (const s of await all(ds.train)) for (const v of s.label.data) counts[v] = (counts[v] as number) + 1;
  const digitPixels = counts.slice(1, 11).reduce((x, y) => x + y, 0);
  const total = counts.reduce((x, y) => x + y, 0);
  for (let c = 1; c <= 10; c++) {
    const share = (counts[c] as number) / digitPixels;
    assert.ok(share > 0.04 && share < 0.18, `class ${c} share ${share.toFixed(3)}`);
  }
  assert.ok((counts[0] as number) / total > 0.6, 'background share');
  assert.ok((counts[IGNORE_INDEX] as number) / total < 0.15, 'void share');
});

test('anomaly split: scene i of the test split plus pasted items; masks 0/1/255 consistent with labels', async () => {
  const ds = await buildDigitScenes({ seed: 5, ...SMALL });
  for (let i = 0; i < ds.anomaly.length; i++) {
    const a = await ds.anomaly.get(i);
    const t = await ds.test.get(i);
    const mask = a.anomaly?.data;
    assert.ok(mask, 'mask present');
    assert.deepEqual(
      distinctValues(mask).filter((v) => v !== 0 && v !== 1 && v !== IGNORE_INDEX),
      [],
    );
    let anomalous = 0;
    let same = 0;
    let inliers = 0;
    for (let p = 0; p < mask.length; p++) {
      const m = mask[p] as number;
      if (m === 1) {
        anomalous++;
        assert.equal(a.label.data[p], IGNORE_INDEX, 'anomalous pixels have no semantic label');
      } else if (m === 0) {
        inliers++;
        assert.equal(a.label.data[p], t.label.data[p], 'inlier labels are the test scene labels');
        assert.notEqual(t.label.data[p], IGNORE_INDEX, 'void scene pixels are void in the mask');
        if ([0, 1, 2].every((c) => a.image.data[p * 3 + c] === t.image.data[p * 3 + c])) same++;
      }
    }
    assert.ok(anomalous >= 20, `anomaly[${i}] has ${anomalous} anomalous pixels`);
    assert.equal(same, inliers, `anomaly[${i}]: inlier pixels keep the test scene's bytes`);
  }
});

test('options are validated', async () => {
  await assert.rejects(buildDigitScenes({ width: 16 }), /at least 32/);
  await assert.rejects(buildDigitScenes({ trainCount: -1 }), /'trainCount' must be a non-negative integer/);
  await assert.rejects(buildDigitScenes({ digitsPerImage: [2, 1] }), /'digitsPerImage'/);
  await assert.rejects(buildDigitScenes({ digitsPerImage: [1.5, 2] }), /integers/);
  await assert.rejects(buildDigitScenes({ seed: 0.5 }), ValueError);
});

test('overlapFraction: intersection over the smaller box, hand cases', () => {
  assert.equal(overlapFraction([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  assert.equal(overlapFraction([0, 0, 10, 10], [10, 0, 20, 10]), 0, 'touching edges');
  assert.equal(overlapFraction([0, 0, 10, 10], [5, 0, 15, 10]), 0.5);
  assert.equal(overlapFraction([0, 0, 10, 10], [2, 2, 4, 4]), 1, 'contained');
  assert.equal(overlapFraction([0, 0, 10, 10], [5, 5, 25, 25]), 25 / 100);
});

test('maxOverlap: one digit per scene gives the free placement bytes; separated scenes differ; range checked', async () => {
  const one = { seed: 4, ...SMALL, digitsPerImage: [1, 1] as const };
  const free = await buildDigitScenes(one);
  const sep = await buildDigitScenes({ ...one, maxOverlap: 0 });
  for (const i of [0, 3, 7]) assert.deepEqual(await sep.train.get(i), await free.train.get(i), `train[${i}]`);
  const many = { seed: 4, ...SMALL, digitsPerImage: [4, 4] as const, digitScale: [2, 3.5] as const };
  const a = await all((await buildDigitScenes(many)).train);
  const b = await all((await buildDigitScenes({ ...many, maxOverlap: 0.1 })).train);
  assert.ok(
    a.some((s, i) => !Buffer.from(s.label.data).equals(Buffer.from((b[i] as Sample).label.data))),
    'separation moves digits',
  );
  await assert.rejects(buildDigitScenes({ maxOverlap: 1.5 }), /'maxOverlap' must be in \[0, 1\]/);
  await assert.rejects(buildDigitScenes({ maxOverlap: Number.NaN }), /'maxOverlap'/);
});
