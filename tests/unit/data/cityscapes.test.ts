import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import { CITYSCAPES_CLASSES, LABEL_ID_TO_TRAIN_ID, openCityscapes } from '../../../src/data/cityscapes.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('cityscapes');
const photo = photoMaker(3, 11);

const A = 'frankfurt/frankfurt_000000_000294';
const B = 'lindau/lindau_000001_000019';
// every labelId 0..33 plus 255, in one 35-pixel row
const ALL_IDS = [...Array.from({ length: 34 }, (_, i) => i), 255];

async function cityTree(): Promise<string> {
  return tree({
    [`leftImg8bit/val/${A}_leftImg8bit.png`]: encodeRgbPng(photo(35, 1, 1)),
    [`gtFine/val/${A}_gtFine_labelTrainIds.png`]: label(35, 1, [0, 5, 18, 255]),
    [`gtFine/val/${A}_gtFine_labelIds.png`]: label(35, 1, ALL_IDS),
    [`gtFine/val/${A}_gtFine_color.png`]: encodeRgbPng(photo(35, 1, 9)),
    [`gtFine/val/${A}_gtFine_instanceIds.png`]: label(35, 1, [0]),
    [`leftImg8bit/val/${B}_leftImg8bit.png`]: encodeRgbPng(photo(35, 1, 2)),
    [`gtFine/val/${B}_gtFine_labelIds.png`]: label(35, 1, ALL_IDS),
  });
}

test('openCityscapes pairs leftImg8bit with labelTrainIds, falling back to labelIds (auto)', async () => {
  const root = await cityTree();
  const ds = await openCityscapes(root, 'val');
  assert.deepEqual(ds.classes, CITYSCAPES_CLASSES);
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    [A, B],
  );
  assert.match(ds.pairs[0]?.label ?? '', /_gtFine_labelTrainIds\.png$/);
  assert.match(ds.pairs[1]?.label ?? '', /_gtFine_labelIds\.png$/);
  const a = await ds.get(0);
  assert.deepEqual(a.image, photo(35, 1, 1));
  assert.deepEqual([...a.label.data.subarray(0, 4)], [0, 5, 18, 255]);
  // B is read from labelIds and mapped with the official table
  const b = await ds.get(1);
  const expected = ALL_IDS.map((id) => LABEL_ID_TO_TRAIN_ID.find(([raw]) => raw === id)?.[1] ?? 255);
  assert.deepEqual([...b.label.data], expected);
  assert.deepEqual(expected.slice(0, 8), [255, 255, 255, 255, 255, 255, 255, 0]);
  assert.equal(expected[26], 13); // car
  assert.equal(expected[33], 18); // bicycle
});

test('openCityscapes labels: labelIds reads the raw ids for every image; trainIds requires them', async () => {
  const root = await cityTree();
  const ids = await openCityscapes(root, 'val', { labels: 'labelIds' });
  assert.equal((await ids.get(0)).label.data[7], 0); // id 7 (road) → trainId 0
  await assert.rejects(openCityscapes(root, 'val', { labels: 'trainIds' }), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.match(
      e.message,
      /image '.*lindau_000001_000019_leftImg8bit\.png' has no label \(expected '.*lindau_000001_000019_gtFine_labelTrainIds\.png'\)/,
    );
    return true;
  });
  const skip = await openCityscapes(root, 'val', { labels: 'trainIds', skipBad: true });
  assert.equal(skip.length, 1);
  assert.equal(skip.skipped.length, 1);
});

test('openCityscapes rejects trainIds above 18 and labelIds above 33 (other than 255)', async () => {
  const root = await tree({
    [`leftImg8bit/train/${A}_leftImg8bit.png`]: encodeRgbPng(photo(2, 1, 1)),
    [`gtFine/train/${A}_gtFine_labelTrainIds.png`]: label(2, 1, [0, 19]),
    [`leftImg8bit/train/${B}_leftImg8bit.png`]: encodeRgbPng(photo(2, 1, 1)),
    [`gtFine/train/${B}_gtFine_labelIds.png`]: label(2, 1, [34, 7]),
  });
  const ds = await openCityscapes(root, 'train');
  await assert.rejects(
    ds.get(0),
    (e: unknown) => e instanceof ValueError && /labelTrainIds\.png.*\{19\}/.test(e.message),
  );
  await assert.rejects(ds.get(1), (e: unknown) => e instanceof ValueError && /labelIds\.png.*\{34\}/.test(e.message));
});

test('openCityscapes: gtCoarse annotations and a missing split folder', async () => {
  const root = await tree({
    [`leftImg8bit/train_extra/${A}_leftImg8bit.png`]: encodeRgbPng(photo(2, 2, 1)),
    [`gtCoarse/train_extra/${A}_gtCoarse_labelTrainIds.png`]: label(2, 2, [1]),
    [`leftImg8bit/train_extra/${B}_leftImg8bit.png`]: encodeRgbPng(photo(2, 2, 2)),
    [`gtCoarse/train_extra/${B}_gtCoarse_labelTrainIds.png`]: label(2, 2, [2]),
  });
  const ds = await openCityscapes(root, 'train_extra', { annotation: 'gtCoarse' });
  assert.equal(ds.length, 2);
  assert.deepEqual([...(await ds.get(1)).label.data], [2, 2, 2, 2]);
  await assert.rejects(openCityscapes(root, 'val'), /missing folder '.*leftImg8bit\/val'/);
  await assert.rejects(openCityscapes(root, '../x'), ValueError);
});
