import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeImage } from '../../../src/data/image-io.js';
import { openRoadAnomaly } from '../../../src/data/road-anomaly.js';
import { distinctValues } from '../../../src/data/label-codec.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('ra');
const photo = photoMaker(9, 5);

test('openRoadAnomaly: frame_list.json, frames/<name>.labels/labels_semantic.png; 2 → 1, 0/1 kept', async () => {
  const root = await tree({
    'frame_list.json': JSON.stringify(['animals01_Guiness.jpg', 'zebra.webp']),
    'frames/animals01_Guiness.jpg': await encodeImage(photo(4, 3, 1), 'jpeg'),
    'frames/animals01_Guiness.labels/labels_semantic.png': label(4, 3, [0, 2, 0]),
    'frames/animals01_Guiness.labels/labels_instance.png': label(4, 3, [0]),
    'frames/zebra.webp': await encodeImage(photo(4, 3, 2), 'webp'),
    'frames/zebra.labels/labels_semantic.png': label(4, 3, [0, 1, 255]),
  });
  const ds = await openRoadAnomaly(root);
  assert.equal(ds.hasAnomaly, true);
  assert.equal(ds.classes.length, 19);
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['animals01_Guiness', 'zebra'],
  );
  const a = await ds.get(0);
  assert.equal(a.image.width, 4);
  assert.deepEqual([...(a.anomaly?.data ?? [])], [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
  assert.deepEqual(distinctValues(a.label.data), [255]);
  const z = await ds.get(1);
  assert.deepEqual([...(z.anomaly?.data ?? new Uint8Array()).subarray(0, 3)], [0, 1, 255]);
});

test('openRoadAnomaly errors: bad frame list, listed frame missing, frame without label, values without 2 outside 0/1/255', async () => {
  const ok = {
    'frames/a.jpg': await encodeImage(photo(2, 2, 1), 'jpeg'),
    'frames/a.labels/labels_semantic.png': label(2, 2, [0, 2]),
  };
  await assert.rejects(
    openRoadAnomaly(await tree({ ...ok, 'frame_list.json': '{"a": 1}' })),
    (e: unknown) => e instanceof FormatError && /frame_list\.json' must be a JSON array/.test(e.message),
  );
  await assert.rejects(
    openRoadAnomaly(await tree({ ...ok, 'frame_list.json': '[oops' })),
    /frame_list\.json' is not valid JSON/,
  );
  await assert.rejects(openRoadAnomaly(await tree({ ...ok })), /missing file '.*frame_list\.json'/);
  await assert.rejects(
    openRoadAnomaly(await tree({ ...ok, 'frame_list.json': '["a.jpg", "b.jpg"]' })),
    /'b\.jpg' is listed in '.*frame_list\.json' but '.*frames\/b\.jpg' is missing/,
  );
  const noLabel = await tree({
    ...ok,
    'frames/c.jpg': await encodeImage(photo(2, 2, 1), 'jpeg'),
    'frame_list.json': '["a.jpg", "c.jpg"]',
  });
  await assert.rejects(
    openRoadAnomaly(noLabel),
    /image '.*frames\/c\.jpg' has no label \(expected '.*c\.labels\/labels_semantic\.png'\)/,
  );
  assert.equal((await openRoadAnomaly(noLabel, { skipBad: true })).skipped.length, 1);
  const badValues = await tree({
    ...ok,
    'frames/a.labels/labels_semantic.png': label(2, 2, [0, 3]),
    'frame_list.json': '["a.jpg"]',
  });
  await assert.rejects(
    (await openRoadAnomaly(badValues)).get(0),
    (e: unknown) => e instanceof ValueError && /labels_semantic\.png.*\{3\}/.test(e.message),
  );
});
