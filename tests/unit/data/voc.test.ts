import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeImage, encodeLabelPng } from '../../../src/data/image-io.js';
import { openVoc, VOC_CLASSES } from '../../../src/data/voc.js';
import { photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('voc');
const photo = photoMaker(11, 3);

/** The VOC colour map for indices 0..255 (bit-interleaved), as the real SegmentationClass PNGs carry it. */
function vocPalette(): number[][] {
  return Array.from({ length: 256 }, (_, i) => {
    let r = 0,
      g = 0,
      b = 0,
      c = i;
    for (let j = 0; j < 8; j++, c >>= 3) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
    }
    return [r, g, b];
  });
}

function paletteLabel(w: number, h: number, values: number[]): Uint8Array {
  const data = Uint8Array.from({ length: w * h }, (_, i) => values[i % values.length] as number);
  return encodeLabelPng({ width: w, height: h, data }, vocPalette());
}

const V = 'VOCdevkit/VOC2012';

async function vocTree(extra: Record<string, Uint8Array | string> = {}): Promise<string> {
  return tree({
    [`${V}/JPEGImages/2007_000032.jpg`]: await encodeImage(photo(6, 5, 1), 'jpeg'),
    [`${V}/SegmentationClass/2007_000032.png`]: paletteLabel(6, 5, [0, 1, 15, 255, 20]),
    [`${V}/JPEGImages/2007_000039.jpg`]: await encodeImage(photo(4, 3, 2), 'jpeg'),
    [`${V}/SegmentationClass/2007_000039.png`]: paletteLabel(4, 3, [0, 19]),
    [`${V}/JPEGImages/2007_000063.jpg`]: await encodeImage(photo(4, 3, 3), 'jpeg'),
    [`${V}/ImageSets/Segmentation/train.txt`]: '2007_000032\n2007_000039\n',
    [`${V}/ImageSets/Segmentation/val.txt`]: '2007_000063\n',
    ...extra,
  });
}

test('openVoc reads palette PNGs as raw class indices, following the split list', async () => {
  const root = await vocTree();
  const ds = await openVoc(root, 'train');
  assert.deepEqual(ds.classes, VOC_CLASSES);
  assert.equal(ds.classes.length, 21);
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['2007_000032', '2007_000039'],
  );
  const a = await ds.get(0);
  assert.equal(a.image.width, 6);
  assert.equal(a.image.height, 5);
  assert.deepEqual([...a.label.data.subarray(0, 5)], [0, 1, 15, 255, 20]);
  assert.deepEqual([...(await ds.get(1)).label.data.subarray(0, 2)], [0, 19]);
  // the same layout found from VOCdevkit's parent, VOCdevkit itself, or VOC2012 itself
  assert.equal((await openVoc(join(root, 'VOCdevkit'), 'train')).length, 2);
  assert.equal((await openVoc(join(root, V), 'train')).length, 2);
});

test('openVoc errors: listed id without label, listed id without image, index 21, missing list', async () => {
  const root = await vocTree({ [`${V}/ImageSets/Segmentation/bad.txt`]: '2007_000032\n2007_009999\n' });
  await assert.rejects(
    openVoc(root, 'val'),
    (e: unknown) =>
      e instanceof FormatError &&
      /image '.*2007_000063\.jpg' has no label \(expected '.*SegmentationClass\/2007_000063\.png'\)/.test(e.message),
  );
  await assert.rejects(
    openVoc(root, 'bad'),
    /id '2007_009999' is listed in '.*bad\.txt' but '.*JPEGImages\/2007_009999\.jpg' is missing/,
  );
  const skipped = await openVoc(root, 'bad', { skipBad: true });
  assert.equal(skipped.length, 1);
  assert.equal(skipped.skipped.length, 1);
  await assert.rejects(openVoc(root, 'trainval'), /missing file '.*trainval\.txt'/);
  const bad = await vocTree({ [`${V}/SegmentationClass/2007_000063.png`]: paletteLabel(4, 3, [21, 0]) });
  const ds = await openVoc(bad, 'val');
  await assert.rejects(
    ds.get(0),
    (e: unknown) => e instanceof ValueError && /2007_000063\.png.*\{21\}.*0\.\.20 or 255/.test(e.message),
  );
  await assert.rejects(openVoc(await tree({ 'x.txt': '' }), 'train'), /missing folder .*ImageSets\/Segmentation/);
});
