import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import { CAMVID_CLASSES, openCamVid, type CamVidSplit } from '../../../src/data/camvid.js';
import { distinctValues } from '../../../src/data/label-codec.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('camvid');
const photo = photoMaker(5, 17);

/** Project root: dist/tests/unit/data/ → four levels up. */
const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
const CAMVID = join(PROJECT, '..', 'shared', 'data', 'camvid');
const HAVE_CAMVID = existsSync(join(CAMVID, 'test'));

test('openCamVid reads the SegNet layout; 11 (unlabelled) becomes 255', async () => {
  const root = await tree({
    'test/0001TP_008550.png': encodeRgbPng(photo(6, 4, 1)),
    'testannot/0001TP_008550.png': label(6, 4, [0, 3, 10, 11]),
    'test/Seq05VD_f00000.png': encodeRgbPng(photo(6, 4, 2)),
    'testannot/Seq05VD_f00000.png': label(6, 4, [8, 255]),
  });
  const ds = await openCamVid(root, 'test');
  assert.equal(ds.name, 'camvid/test');
  assert.deepEqual(ds.classes, CAMVID_CLASSES);
  assert.equal(ds.length, 2);
  const s = await ds.get(0);
  assert.equal(s.id, '0001TP_008550');
  assert.deepEqual(s.image, photo(6, 4, 1));
  assert.deepEqual([...s.label.data.subarray(0, 4)], [0, 3, 10, 255]);
  assert.deepEqual(distinctValues((await ds.get(1)).label.data), [8, 255]);
});

test('openCamVid also accepts the parent folder holding CamVid/', async () => {
  const root = await tree({
    'CamVid/train/a.png': encodeRgbPng(photo(3, 2, 1)),
    'CamVid/trainannot/a.png': label(3, 2, [1]),
    'CamVid/train/b.png': encodeRgbPng(photo(3, 2, 2)),
    'CamVid/trainannot/b.png': label(3, 2, [2]),
  });
  const ds = await openCamVid(root, 'train');
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['a', 'b'],
  );
  assert.deepEqual(distinctValues((await ds.get(1)).label.data), [2]);
});

test('openCamVid trainval: train then val, one dataset; a name in both is an error', async () => {
  const root = await tree({
    'CamVid/train/a.png': encodeRgbPng(photo(3, 2, 1)),
    'CamVid/trainannot/a.png': label(3, 2, [1]),
    'CamVid/val/b.png': encodeRgbPng(photo(3, 2, 2)),
    'CamVid/valannot/b.png': label(3, 2, [2]),
  });
  const ds = await openCamVid(root, 'trainval');
  assert.equal(ds.name, 'camvid/trainval');
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['a', 'b'],
  );
  assert.deepEqual(distinctValues((await ds.get(1)).label.data), [2]);
  const twice = await tree({
    'train/a.png': encodeRgbPng(photo(3, 2, 1)),
    'trainannot/a.png': label(3, 2, [1]),
    'val/a.png': encodeRgbPng(photo(3, 2, 2)),
    'valannot/a.png': label(3, 2, [2]),
  });
  await assert.rejects(openCamVid(twice, 'trainval'), /camvid\/trainval has an image name in both train and val/);
});

test('openCamVid SPLIT:SEQ keeps one sequence, SPLIT:-SEQ leaves it out; unknown sequences name the known ones', async () => {
  const root = await tree({
    'train/0001TP_000001.png': encodeRgbPng(photo(3, 2, 1)),
    'trainannot/0001TP_000001.png': label(3, 2, [1]),
    'train/0006R0_f00930.png': encodeRgbPng(photo(3, 2, 2)),
    'trainannot/0006R0_f00930.png': label(3, 2, [2]),
    'train/0016E5_07959.png': encodeRgbPng(photo(3, 2, 3)),
    'trainannot/0016E5_07959.png': label(3, 2, [3]),
    'val/0016E5_08000.png': encodeRgbPng(photo(3, 2, 4)),
    'valannot/0016E5_08000.png': label(3, 2, [4]),
  });
  const ids = async (split: CamVidSplit): Promise<string[]> => (await openCamVid(root, split)).pairs.map((p) => p.id);
  assert.deepEqual(await ids('train:0006R0'), ['0006R0_f00930']);
  assert.deepEqual(await ids('train:-0006R0'), ['0001TP_000001', '0016E5_07959']);
  assert.deepEqual(await ids('trainval:0016E5'), ['0016E5_07959', '0016E5_08000']);
  const one = await openCamVid(root, 'train:0006R0');
  assert.equal(one.name, 'camvid/train:0006R0');
  assert.deepEqual(distinctValues((await one.get(0)).label.data), [2]);
  await assert.rejects(openCamVid(root, 'val:0006R0'), /camvid\/val has no sequence '0006R0'; it has 0016E5/);
  await assert.rejects(openCamVid(root, 'val:-0016E5'), /camvid\/val:-0016E5 leaves no image/);
  const broken = await tree({
    'train/0001TP_000001.png': encodeRgbPng(photo(3, 2, 1)),
    'trainannot/0001TP_000001.png': label(3, 2, [1]),
    'train/0006R0_f00930.png': Uint8Array.of(1, 2, 3),
    'trainannot/0006R0_f00930.png': label(3, 2, [2]),
  });
  const kept = await openCamVid(broken, 'train:-0006R0', { skipBad: true });
  assert.deepEqual([kept.length, kept.skipped.length], [1, 0], 'a left-out sequence is not decoded or reported');
  assert.equal((await openCamVid(broken, 'train', { skipBad: true })).skipped.length, 1);
  for (const bad of ['train:', 'train:-', 'train:a:b', 'dev:0006R0'])
    await assert.rejects(openCamVid(root, bad as CamVidSplit), /optionally followed by :SEQUENCE or :-SEQUENCE/);
});

test('openCamVid errors: bad split, missing annot folder, label values 12..254', async () => {
  await assert.rejects(openCamVid('/x', 'dev' as 'test'), ValueError);
  const noAnnot = await tree({ 'val/a.png': encodeRgbPng(photo(2, 2, 0)) });
  await assert.rejects(
    openCamVid(noAnnot, 'val'),
    (e: unknown) => e instanceof FormatError && /missing folder '.*valannot'/.test(e.message),
  );
  const badValues = await tree({ 'val/a.png': encodeRgbPng(photo(2, 2, 0)), 'valannot/a.png': label(2, 2, [0, 12]) });
  const ds = await openCamVid(badValues, 'val');
  await assert.rejects(
    ds.get(0),
    (e: unknown) =>
      e instanceof ValueError && /valannot\/a\.png.*\{12\}.*allowed: 0\.\.10, or 11 \/ 255/.test(e.message),
  );
});

test(
  'real CamVid: every split pairs up; sampled images are 480x360 with labels in {0..10, 255}',
  { skip: HAVE_CAMVID ? false : `CamVid not found at ${CAMVID}: folder absent, real-data check not run` },
  async () => {
    const allowed = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    for (const [split, count] of [
      ['train', 367],
      ['val', 101],
      ['test', 233],
    ] as const) {
      const ds = await openCamVid(CAMVID, split);
      assert.equal(ds.length, count, `${split} count`);
      for (const i of [0, count - 1]) {
        const s = await ds.get(i);
        assert.equal(s.image.width, 480);
        assert.equal(s.image.height, 360);
        assert.equal(s.image.data.length, 480 * 360 * 3);
        assert.equal(s.label.width, 480);
        assert.equal(s.label.height, 360);
        const values = distinctValues(s.label.data);
        assert.ok(
          values.every((v) => allowed.has(v)),
          `${split}[${i}] values ${values}`,
        );
        assert.ok(values.includes(3), `${split}[${i}] has road pixels`);
      }
    }
  },
);
