import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset } from '../../../src/cli/datasets.js';
import { IGNORE_INDEX } from '../../../src/constants.js';
import { CAMVID_CLASSES, openCamVid } from '../../../src/data/camvid.js';
import {
  CAMVID_HELD_OUT_DEFAULT,
  closedSetRemap,
  heldOutIds,
  heldOutStats,
  holdOutClasses,
  openCamVidHeldOut,
} from '../../../src/data/held-out.js';
import { firstSamples } from '../../../src/data/subset.js';
import { checkIndex, type Dataset, type Sample } from '../../../src/data/sample.js';
import { ValueError } from '../../../src/errors.js';

const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
const CAMVID = join(PROJECT, '..', 'shared', 'data', 'camvid');
const HAVE_CAMVID = existsSync(join(CAMVID, 'test'));

const V = IGNORE_INDEX;
const CLASSES = ['a', 'b', 'c', 'd', 'e'];

/** Two 4x2 images over classes a..e; image 1 has no b/d pixel. */
const LABELS = [
  [0, 1, 2, 3, 4, V, 1, 3],
  [0, 0, 2, 4, V, V, 2, 4],
];

function toy(labels: number[][] = LABELS, hasAnomaly = false): Dataset {
  const make = (i: number): Sample => {
    const data = Uint8Array.from(labels[i] as number[]);
    const image = new Uint8Array(data.length * 3).fill(10 + i);
    return { id: `img${i}`, image: { width: 4, height: 2, data: image }, label: { width: 4, height: 2, data } };
  };
  const n = labels.length;
  const get = async (i: number): Promise<Sample> => make(checkIndex(i, n, 'toy'));
  return { name: 'toy', classes: CLASSES, length: n, hasAnomaly, pairs: [], skipped: [], get };
}

test('holdOutClasses: closed-set view remaps kept classes in order and ignores held-out pixels', async () => {
  const views = holdOutClasses(toy(), ['d', 'b']);
  assert.deepEqual(views.closedSet.classes, ['a', 'c', 'e']);
  assert.deepEqual(views.remap, [0, V, 1, V, 2]);
  assert.deepEqual(views.heldOut, ['d', 'b']);
  assert.equal(views.closedSet.hasAnomaly, false);
  assert.equal(views.closedSet.length, 2);
  const s0 = await views.closedSet.get(0);
  assert.equal(s0.id, 'img0');
  assert.deepEqual(Array.from(s0.label.data), [0, V, 1, V, 2, V, V, V]);
  assert.equal(s0.anomaly, undefined);
  const s1 = await views.closedSet.get(1);
  assert.deepEqual(Array.from(s1.label.data), [0, 0, 1, 2, V, V, 1, 2]);
  assert.deepEqual(Array.from(s1.image.data.slice(0, 3)), [11, 11, 11]);
});

test('holdOutClasses: anomaly view: held-out 1, other labelled 0, void 255; label = closed set', async () => {
  const views = holdOutClasses(toy(), ['b', 'd']);
  const a = views.anomaly;
  assert.equal(a.hasAnomaly, true);
  assert.deepEqual(a.classes, ['a', 'c', 'e']);
  assert.equal(a.length, 2, 'images without held-out pixels stay');
  const s0 = await a.get(0);
  assert.deepEqual(Array.from(s0.anomaly?.data ?? []), [0, 1, 0, 1, 0, V, 1, 1]);
  assert.deepEqual(Array.from(s0.label.data), [0, V, 1, V, 2, V, V, V]);
  assert.deepEqual({ w: s0.anomaly?.width, h: s0.anomaly?.height }, { w: 4, h: 2 });
  const s1 = await a.get(1);
  assert.deepEqual(Array.from(s1.anomaly?.data ?? []), [0, 0, 0, 0, V, V, 0, 0]);
  assert.notEqual(a.name, views.closedSet.name);
});

test('holdOutClasses: the wrapped samples are not modified', async () => {
  const base = toy();
  await holdOutClasses(base, ['a']).anomaly.get(0);
  assert.deepEqual(Array.from((await base.get(0)).label.data), LABELS[0]);
});

test('heldOutIds: unknown, repeated, empty and all-class lists are ValueErrors', () => {
  assert.deepEqual(heldOutIds(CLASSES, ['e', 'a']), [4, 0]);
  const unknown = (e: unknown): boolean =>
    e instanceof ValueError && /unknown class 'x'.*a, b, c, d, e/.test(e.message);
  assert.throws(() => heldOutIds(CLASSES, ['x']), unknown);
  assert.throws(
    () => heldOutIds(CLASSES, ['b', 'b']),
    (e: unknown) => e instanceof ValueError && /twice/.test(e.message),
  );
  assert.throws(() => heldOutIds(CLASSES, []), ValueError);
  assert.throws(
    () => holdOutClasses(toy(), CLASSES),
    (e: unknown) => e instanceof ValueError && /every class/.test(e.message),
  );
  assert.throws(() => holdOutClasses(toy(), ['B']), /known classes: a, b, c, d, e/);
});

test('holdOutClasses: rejects anomaly datasets, out-of-range labels and bad indices', async () => {
  assert.throws(() => holdOutClasses(toy(LABELS, true), ['b']), /already has anomaly masks/);
  const bad = holdOutClasses(toy([[0, 1, 2, 7, 4, 4, 4, 4]]), ['b']);
  await assert.rejects(
    bad.closedSet.get(0),
    (e: unknown) => e instanceof ValueError && /toy.*7|7.*toy/s.test(e.message),
  );
  await assert.rejects(bad.anomaly.get(0), ValueError);
  await assert.rejects(bad.anomaly.get(1), /out of range/);
});

test('closedSetRemap and heldOutStats on the toy set', async () => {
  assert.deepEqual(closedSetRemap(4, [0, 3]), [V, 0, 1, V]);
  const stats = await heldOutStats(toy(), ['b', 'd']);
  assert.deepEqual(stats, { images: 2, imagesWithHeldOut: 1, labelledPixels: 13, heldOutPixels: 4 });
});

test('openCamVidHeldOut: bad split and bad class names fail before any file is read', async () => {
  await assert.rejects(
    openCamVidHeldOut('/nonexistent', 'dev'),
    (e: unknown) => e instanceof ValueError && /anomaly/.test(e.message),
  );
  await assert.rejects(
    openCamVidHeldOut('/nonexistent', 'test', { heldOut: ['Person'] }),
    /known classes: Sky, Building/,
  );
});

const SKIP_CAMVID = HAVE_CAMVID ? false : 'no CamVid at ../shared/data/camvid';

test(
  'camvid-heldout on the real CamVid: held-out pixel counts equal a direct count',
  { skip: SKIP_CAMVID },
  async () => {
    assert.deepEqual(
      CAMVID_HELD_OUT_DEFAULT.map((n) => CAMVID_CLASSES.indexOf(n)),
      [9, 10],
    );
    const req = { root: CAMVID, skipBad: false, seed: 0 };
    const closed = await openDataset('camvid-heldout', { ...req, split: 'test' });
    const anomaly = await openDataset('camvid-heldout', { ...req, split: 'anomaly' });
    const shifted = await openDataset('camvid-heldout', { ...req, split: 'anomaly', heldOut: ['Pole', 'Pedestrian'] });
    const base = await openCamVid(CAMVID, 'test');
    assert.deepEqual(closed.classes, CAMVID_CLASSES.slice(0, 9));
    assert.equal(anomaly.length, base.length);
    assert.equal(anomaly.hasAnomaly, true);
    const held = new Set([9, 10]);
    let totalHeld = 0;
    for (let i = 0; i < 3; i++) {
      const [o, c, a, s] = await Promise.all([base.get(i), closed.get(i), anomaly.get(i), shifted.get(i)]);
      let direct = 0;
      let masked = 0;
      for (let p = 0; p < o.label.data.length; p++) {
        const v = o.label.data[p] as number;
        if (held.has(v)) direct++;
        if (a.anomaly?.data[p] === 1) masked++;
        assert.equal(c.label.data[p], held.has(v) ? V : v);
        assert.equal(a.anomaly?.data[p], v === V ? V : held.has(v) ? 1 : 0);
        const want = v === 2 || v === 9 || v === V ? V : v < 2 ? v : v < 9 ? v - 1 : v - 2;
        assert.equal(s.label.data[p], want);
      }
      assert.equal(masked, direct, `image ${o.id}`);
      totalHeld += direct;
    }
    assert.ok(totalHeld > 0, 'the first test images contain held-out pixels');
    const stats = await heldOutStats(firstSamples(base, 3), CAMVID_HELD_OUT_DEFAULT);
    assert.equal(stats.heldOutPixels, totalHeld);
  },
);
