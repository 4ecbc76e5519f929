import test from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { FormatError, ValueError } from '../../../src/errors.js';
import { encodeImage, encodeRgbPng } from '../../../src/data/image-io.js';
import { openFolder, parseClassList } from '../../../src/data/folder.js';
import type { FileSource } from '../../../src/data/files.js';
import type { Dataset, Sample } from '../../../src/data/sample.js';
import { label, photoMaker, tempTrees } from '../../helpers/tree.js';

const tree = tempTrees('folder');
const photo = photoMaker(7, 31);

/** The sample with this id (datasets are sorted by path, so tests look samples up by id). */
function byId(ds: Dataset, id: string): Promise<Sample> {
  const i = ds.pairs.findIndex((p) => p.id === id);
  assert.ok(i >= 0, `no sample '${id}' in ${ds.name}`);
  return ds.get(i);
}

/** A 4x4 label PNG with one byte near the end flipped, so that it no longer decodes. */
function corruptLabel(): Uint8Array {
  const bad = Uint8Array.from(label(4, 4, [1]));
  bad[bad.length - 20] = (bad[bad.length - 20] as number) ^ 0x55;
  return bad;
}

const CLASSES = '# my classes\nsky\nroad\n\ncar\n';

async function goodTree(extra: Record<string, Uint8Array | string> = {}): Promise<string> {
  return tree({
    'classes.txt': CLASSES,
    'images/a.png': encodeRgbPng(photo(4, 3, 1)),
    'labels/a.png': label(4, 3, [0, 1, 2, 255]),
    'images/sub/b.jpg': await encodeImage(photo(5, 2, 2), 'jpeg'),
    'labels/sub/b.png': label(5, 2, [2, 1]),
    ...extra,
  });
}

test('openFolder reads images/ + labels/ + classes.txt into Samples', async () => {
  const root = await goodTree();
  const ds = await openFolder(root);
  assert.deepEqual(ds.classes, ['sky', 'road', 'car']);
  assert.equal(ds.length, 2);
  assert.equal(ds.hasAnomaly, false);
  assert.deepEqual(ds.skipped, []);
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['a', 'sub/b'],
  );
  assert.equal(ds.pairs[1]?.label, join(root, 'labels', 'sub', 'b.png'));
  const a = await ds.get(0);
  assert.equal(a.id, 'a');
  assert.deepEqual(a.image, photo(4, 3, 1));
  assert.deepEqual([...a.label.data], [0, 1, 2, 255, 0, 1, 2, 255, 0, 1, 2, 255]);
  assert.equal(a.anomaly, undefined);
  const b = await ds.get(1);
  assert.equal(b.image.width, 5);
  assert.equal(b.image.data.length, 5 * 2 * 3);
  await assert.rejects(
    ds.get(2),
    (e: unknown) => e instanceof ValueError && /index 2 is out of range \[0, 2\)/.test(e.message),
  );
});

test('a missing folder or class list is one FormatError naming it', async () => {
  const noLabels = await tree({ 'classes.txt': CLASSES, 'images/a.png': encodeRgbPng(photo(2, 2, 0)) });
  await assert.rejects(
    openFolder(noLabels),
    (e: unknown) => e instanceof FormatError && e.message.includes(`missing folder '${join(noLabels, 'labels')}'`),
  );
  const noClasses = await tree({ 'images/a.png': encodeRgbPng(photo(2, 2, 0)) });
  await assert.rejects(
    openFolder(noClasses),
    (e: unknown) => e instanceof FormatError && e.message.includes(`missing file '${join(noClasses, 'classes.txt')}'`),
  );
  await assert.rejects(openFolder(join(noClasses, 'nope')), FormatError);
});

test('an image without its label, or a label without its image, is a FormatError naming both files', async () => {
  const root = await goodTree({ 'images/c.png': encodeRgbPng(photo(2, 2, 3)) });
  await assert.rejects(openFolder(root), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.match(e.message, /image '.*images\/c\.png' has no label \(expected '.*labels\/c\.png'\)/);
    return true;
  });
  const orphan = await goodTree({ 'labels/d.png': label(2, 2, [0]) });
  await assert.rejects(openFolder(orphan), /label '.*labels\/d\.png' has no image/);
});

test('a label of another size than its image fails at get() and at open with validate', async () => {
  const root = await goodTree({ 'images/c.png': encodeRgbPng(photo(4, 3, 3)), 'labels/c.png': label(3, 4, [0]) });
  const ds = await openFolder(root);
  await assert.rejects(
    byId(ds, 'c'),
    (e: unknown) =>
      e instanceof FormatError && /label '.*c\.png' is 3x4 but its image '.*c\.png' is 4x3/.test(e.message),
  );
  await assert.rejects(openFolder(root, { validate: true }), /is 3x4 but its image/);
});

test('label values outside the class range (other than 255) are a ValueError naming file, values and place', async () => {
  const root = await goodTree({
    'images/c.png': encodeRgbPng(photo(3, 2, 3)),
    'labels/c.png': label(3, 2, [0, 1, 7, 2, 9, 255]),
  });
  const ds = await openFolder(root);
  await assert.rejects(byId(ds, 'c'), (e: unknown) => {
    assert.ok(e instanceof ValueError);
    assert.match(
      e.message,
      /label '.*labels\/c\.png' has values outside the class range: \{7, 9\} on 2 pixel\(s\), first at \(x=2, y=0\); allowed: 0\.\.2 or 255/,
    );
    return true;
  });
});

test('corrupt label PNGs, colour label PNGs and unreadable images are FormatErrors naming the file', async () => {
  const root = await goodTree({
    'images/c.png': encodeRgbPng(photo(4, 4, 0)),
    'labels/c.png': corruptLabel(),
    'images/d.png': encodeRgbPng(photo(3, 2, 0)),
    'labels/d.png': encodeRgbPng(photo(3, 2, 0)),
    'images/e.jpg': 'definitely not a jpeg',
    'labels/e.png': label(2, 2, [0]),
  });
  const ds = await openFolder(root);
  await assert.rejects(
    byId(ds, 'c'),
    (e: unknown) => e instanceof FormatError && /'.*labels\/c\.png' is a corrupt PNG/.test(e.message),
  );
  await assert.rejects(
    byId(ds, 'd'),
    (e: unknown) => e instanceof FormatError && /'.*labels\/d\.png' is a RGB PNG with 3 channels/.test(e.message),
  );
  await assert.rejects(
    byId(ds, 'e'),
    (e: unknown) => e instanceof FormatError && /'.*images\/e\.jpg' is not a readable image/.test(e.message),
  );
});

test('skipBad leaves out every bad pair and reports file and reason for each', async () => {
  const root = await goodTree({
    'images/c.png': encodeRgbPng(photo(4, 4, 0)),
    'labels/c.png': corruptLabel(),
    'images/d.png': encodeRgbPng(photo(3, 2, 0)),
    'labels/d.png': label(2, 3, [0]),
    'images/e.png': encodeRgbPng(photo(2, 2, 0)),
    'labels/e.png': label(2, 2, [5]),
    'images/f.png': encodeRgbPng(photo(2, 2, 0)),
    'labels/g.png': label(2, 2, [0]),
  });
  const ds = await openFolder(root, { skipBad: true });
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['a', 'sub/b'],
  );
  assert.equal(ds.length, 2);
  const byFile = new Map(ds.skipped.map((s) => [s.file.slice(root.length + 1), s.reason]));
  assert.deepEqual([...byFile.keys()].sort(), [
    'images/f.png',
    'labels/c.png',
    'labels/d.png',
    'labels/e.png',
    'labels/g.png',
  ]);
  assert.match(byFile.get('images/f.png') ?? '', /has no label/);
  assert.match(byFile.get('labels/g.png') ?? '', /has no image/);
  assert.match(byFile.get('labels/c.png') ?? '', /corrupt PNG/);
  assert.match(byFile.get('labels/d.png') ?? '', /is 2x3 but its image/);
  assert.match(byFile.get('labels/e.png') ?? '', /outside the class range: \{5\}/);
  assert.equal((await ds.get(1)).id, 'sub/b');
});

test('an empty layout is a FormatError, not an empty dataset', async () => {
  const root = await tree({ 'classes.txt': CLASSES, 'images/notes.txt': 'x', 'labels/readme.md': 'y' });
  await assert.rejects(
    openFolder(root),
    (e: unknown) => e instanceof FormatError && /no image\/label pairs found/.test(e.message),
  );
});

test('two images with one stem are rejected; class lists are validated', async () => {
  const root = await goodTree({ 'images/a.jpg': await encodeImage(photo(4, 3, 1), 'jpeg') });
  await assert.rejects(openFolder(root), /both give sample id 'a'/);
  assert.throws(() => parseClassList('\n# only comments\n', 'c.txt'), /names no classes/);
  assert.throws(() => parseClassList('a\nb\na\n', 'c.txt'), /names 'a' twice/);
  assert.throws(
    () => parseClassList(Array.from({ length: 256 }, (_, i) => `c${i}`).join('\n'), 'c.txt'),
    /at most 255/,
  );
});

test('an injected file source is used instead of the disk', async () => {
  const mem = new Map<string, Uint8Array>([
    ['/mem/classes.txt', new TextEncoder().encode('bg\nfg\n')],
    ['/mem/images/x.png', encodeRgbPng(photo(2, 2, 4))],
    ['/mem/labels/x.png', label(2, 2, [1, 0])],
  ]);
  const files: FileSource = {
    readFile: async (p) => {
      const b = mem.get(p);
      if (!b) throw Object.assign(new Error(`no ${p}`), { code: 'ENOENT' });
      return b;
    },
    readDir: async (dir) => {
      const names = [...mem.keys()]
        .filter((k) => dirname(k) === dir)
        .map((k) => ({ name: k.slice(dir.length + 1), isDirectory: false }));
      if (names.length === 0) throw Object.assign(new Error(`no ${dir}`), { code: 'ENOENT' });
      return names;
    },
  };
  const ds = await openFolder('/mem', { files });
  assert.deepEqual(ds.classes, ['bg', 'fg']);
  assert.deepEqual([...(await ds.get(0)).label.data], [1, 0, 1, 0]);
});

test('validate and skipBad decode every image: a readable header over a cut-off body is caught at open', async () => {
  const png = encodeRgbPng(photo(4, 4, 3));
  const root = await goodTree({
    'images/cut.png': png.subarray(0, png.length - 20),
    'labels/cut.png': label(4, 4, [0]),
  });
  await assert.rejects(openFolder(root, { validate: true }), /images\/cut\.png' is not a readable image/);
  const progress: [number, number][] = [];
  const ds = await openFolder(root, { skipBad: true, onProgress: (done, total) => progress.push([done, total]) });
  assert.deepEqual(
    ds.pairs.map((p) => p.id),
    ['a', 'sub/b'],
  );
  assert.equal(ds.skipped.length, 1);
  assert.equal(ds.skipped[0]?.file, join(root, 'images', 'cut.png'));
  assert.deepEqual(progress, [
    [1, 3],
    [2, 3],
    [3, 3],
  ]);
});
