import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeImage } from '../../../src/data/image-io.js';
import { ADE20K_CLASSES, openAde20k } from '../../../src/data/ade20k.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('ade');
const photo = photoMaker(13, 7);

const D = 'ADEChallengeData2016';

test('openAde20k reads images/ + annotations/ (.jpg + .png) with reduce-zero-label', async () => {
  const root = await tree({
    [`${D}/images/validation/ADE_val_00000001.jpg`]: await encodeImage(photo(5, 4, 1), 'jpeg'),
    [`${D}/annotations/validation/ADE_val_00000001.png`]: label(5, 4, [0, 1, 2, 150]),
    [`${D}/images/validation/ADE_val_00000002.jpg`]: await encodeImage(photo(5, 4, 2), 'jpeg'),
    [`${D}/annotations/validation/ADE_val_00000002.png`]: label(5, 4, [3, 255]),
    [`${D}/objectInfo150.csv`]: 'Idx,Ratio,Train,Val,Name\n',
  });
  for (const split of ['validation', 'val'] as const) {
    const ds = await openAde20k(root, split);
    assert.equal(ds.name, 'ade20k/validation');
    assert.equal(ds.classes.length, 150);
    assert.equal(ds.classes[0], 'wall');
    assert.equal(ds.classes[149], 'flag');
    assert.deepEqual(
      ds.pairs.map((p) => p.id),
      ['ADE_val_00000001', 'ADE_val_00000002'],
    );
    const a = await ds.get(0);
    assert.equal(a.image.width, 5);
    assert.equal(a.image.height, 4);
    assert.deepEqual([...a.label.data.subarray(0, 4)], [255, 0, 1, 149]);
    assert.deepEqual([...(await ds.get(1)).label.data.subarray(0, 2)], [2, 255]);
  }
  // root may be the ADEChallengeData2016 folder itself
  assert.equal((await openAde20k(join(root, D), 'validation')).length, 2);
  assert.equal(ADE20K_CLASSES.length, 150);
});

test('openAde20k errors: raw values above 150, a missing annotations folder, a bad split', async () => {
  const root = await tree({
    [`${D}/images/training/ADE_train_00000001.jpg`]: await encodeImage(photo(2, 2, 1), 'jpeg'),
    [`${D}/annotations/training/ADE_train_00000001.png`]: label(2, 2, [151, 0]),
    [`${D}/images/validation/ADE_val_00000001.jpg`]: await encodeImage(photo(2, 2, 1), 'jpeg'),
  });
  const ds = await openAde20k(root, 'training');
  await assert.rejects(
    ds.get(0),
    (e: unknown) => e instanceof ValueError && /ADE_train_00000001\.png.*\{151\}/.test(e.message),
  );
  await assert.rejects(
    openAde20k(root, 'validation'),
    (e: unknown) => e instanceof FormatError && /missing folder '.*annotations\/validation'/.test(e.message),
  );
  await assert.rejects(openAde20k(root, 'test' as 'training'), ValueError);
});
