import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeImage } from '../../../src/data/image-io.js';
import { openSmiyc } from '../../../src/data/smiyc.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('smiyc');
const photo = photoMaker(23, 1);

async function smiycTree(): Promise<string> {
  return tree({
    'dataset_AnomalyTrack/images/validation0000.jpg': await encodeImage(photo(6, 4, 1), 'jpeg'),
    'dataset_AnomalyTrack/labels_masks/validation0000_labels_semantic.png': label(6, 4, [0, 1, 255]),
    'dataset_AnomalyTrack/labels_masks/validation0000_labels_semantic_color.png': await encodeImage(
      photo(6, 4, 9),
      'png',
    ),
    'dataset_AnomalyTrack/images/validation0001.jpg': await encodeImage(photo(6, 4, 2), 'jpeg'),
    'dataset_AnomalyTrack/labels_masks/validation0001_labels_semantic.png': label(6, 4, [1]),
    'dataset_AnomalyTrack/images/test0000.jpg': await encodeImage(photo(6, 4, 3), 'jpeg'),
    'dataset_ObstacleTrack/images/validation_1.webp': await encodeImage(photo(5, 3, 4), 'webp'),
    'dataset_ObstacleTrack/labels_masks/validation_1_labels_semantic.png': label(5, 3, [255, 0, 1]),
    'dataset_ObstacleTrack/images/validation_2.webp': await encodeImage(photo(5, 3, 5), 'webp'),
    'dataset_ObstacleTrack/labels_masks/validation_2_labels_semantic.png': label(5, 3, [0]),
    'dataset_ObstacleTrack/images/snowstorm_01.webp': await encodeImage(photo(5, 3, 6), 'webp'),
  });
}

test('openSmiyc RoadAnomaly21: validation frames with _labels_semantic.png masks (0/1/255)', async () => {
  const root = await smiycTree();
  const ds = await openSmiyc(root, 'RoadAnomaly21');
  assert.equal(ds.name, 'smiyc/RoadAnomaly21/validation');
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['validation0000', 'validation0001'],
  );
  const s = await ds.get(0);
  assert.equal(s.image.width, 6);
  assert.equal(s.image.height, 4);
  assert.deepEqual([...(s.anomaly?.data ?? new Uint8Array()).subarray(0, 3)], [0, 1, 255]);
  // the track folder itself works as root
  assert.equal((await openSmiyc(join(root, 'dataset_AnomalyTrack'), 'RoadAnomaly21')).length, 2);
});

test('openSmiyc RoadObstacle21: .webp images, 255 = off-road void', async () => {
  const root = await smiycTree();
  const ds = await openSmiyc(root, 'RoadObstacle21');
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['validation_1', 'validation_2'],
  );
  const s = await ds.get(0);
  assert.equal(s.image.width, 5);
  assert.deepEqual([...(s.anomaly?.data ?? new Uint8Array()).subarray(0, 3)], [255, 0, 1]);
});

test("openSmiyc split 'all' needs a label for every image (hidden test labels are an error unless skipBad)", async () => {
  const root = await smiycTree();
  await assert.rejects(
    openSmiyc(root, 'RoadAnomaly21', { split: 'all' }),
    (e: unknown) =>
      e instanceof FormatError &&
      /image '.*test0000\.jpg' has no label \(expected '.*test0000_labels_semantic\.png'\)/.test(e.message),
  );
  const ds = await openSmiyc(root, 'RoadObstacle21', { split: 'all', skipBad: true });
  assert.equal(ds.length, 2);
  assert.deepEqual(
    ds.skipped.map((s) => s.file.endsWith('snowstorm_01.webp')),
    [true],
  );
  await assert.rejects(openSmiyc(root, 'Other' as 'RoadAnomaly21'), ValueError);
});

test('openSmiyc: mask values outside 0/1/255 and a missing labels_masks folder', async () => {
  const root = await tree({
    'dataset_AnomalyTrack/images/validation0000.jpg': await encodeImage(photo(2, 2, 1), 'jpeg'),
    'dataset_AnomalyTrack/labels_masks/validation0000_labels_semantic.png': label(2, 2, [0, 7]),
    'dataset_ObstacleTrack/images/validation_1.webp': await encodeImage(photo(2, 2, 1), 'webp'),
  });
  await assert.rejects(
    (await openSmiyc(root, 'RoadAnomaly21')).get(0),
    (e: unknown) => e instanceof ValueError && /validation0000_labels_semantic\.png.*\{7\}/.test(e.message),
  );
  await assert.rejects(openSmiyc(root, 'RoadObstacle21'), /missing folder '.*dataset_ObstacleTrack\/labels_masks'/);
});
