import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeRgbPng } from '../../../src/data/image-io.js';
import { openFishyscapes } from '../../../src/data/fishyscapes.js';
import { distinctValues } from '../../../src/data/label-codec.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('fs');
const photo = photoMaker(19, 1);

test('openFishyscapes reads {LostAndFound,Static}/original + labels with 0/1/255 masks', async () => {
  const root = await tree({
    'LostAndFound/original/0000_04_Maurener_Weg_8_000000_000030.png': encodeRgbPng(photo(8, 4, 1)),
    'LostAndFound/labels/0000_04_Maurener_Weg_8_000000_000030.png': label(8, 4, [0, 1, 255, 0]),
    'LostAndFound/original/0001_04_Maurener_Weg_8_000003_000130.png': encodeRgbPng(photo(8, 4, 2)),
    'LostAndFound/labels/0001_04_Maurener_Weg_8_000003_000130.png': label(8, 4, [0]),
    'Static/original/0.png': encodeRgbPng(photo(8, 4, 3)),
    'Static/labels/0.png': label(8, 4, [1, 0]),
    'Static/original/1.png': encodeRgbPng(photo(8, 4, 4)),
    'Static/labels/1.png': label(8, 4, [255, 1]),
  });
  const laf = await openFishyscapes(root, 'LostAndFound');
  assert.equal(laf.name, 'fishyscapes/LostAndFound');
  assert.equal(laf.hasAnomaly, true);
  assert.equal(laf.length, 2);
  const s = await laf.get(0);
  assert.deepEqual(s.image, photo(8, 4, 1));
  assert.deepEqual([...(s.anomaly?.data ?? new Uint8Array()).subarray(0, 4)], [0, 1, 255, 0]);
  assert.deepEqual(distinctValues(s.label.data), [255]);
  const st = await openFishyscapes(root, 'Static');
  assert.deepEqual(
    st.pairs.map((p) => p.id),
    ['0', '1'],
  );
  assert.deepEqual(distinctValues((await st.get(1)).anomaly?.data ?? new Uint8Array()), [1, 255]);
  // the split folder itself works as root
  assert.equal((await openFishyscapes(join(root, 'Static'), 'Static')).length, 2);
});

test('openFishyscapes errors: value 2 in a mask, missing labels folder, bad split', async () => {
  const root = await tree({
    'Static/original/0.png': encodeRgbPng(photo(2, 2, 3)),
    'Static/labels/0.png': label(2, 2, [2, 0]),
    'LostAndFound/original/0.png': encodeRgbPng(photo(2, 2, 3)),
  });
  await assert.rejects(
    (await openFishyscapes(root, 'Static')).get(0),
    (e: unknown) =>
      e instanceof ValueError &&
      /Static\/labels\/0\.png.*\{2\}.*0 \(inlier\), 1 \(anomaly\) or 255 \(void\)/.test(e.message),
  );
  await assert.rejects(
    openFishyscapes(root, 'LostAndFound'),
    (e: unknown) => e instanceof FormatError && /missing folder '.*LostAndFound\/labels'/.test(e.message),
  );
  await assert.rejects(openFishyscapes(root, 'Web' as 'Static'), ValueError);
});
