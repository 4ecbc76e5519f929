import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { CAMVID_CLASSES, CAMVID_PALETTE } from '../../../src/data/camvid.js';
import { CITYSCAPES_CLASSES, CITYSCAPES_PALETTE } from '../../../src/data/cityscapes.js';
import { DATASET_PALETTES } from '../../../src/data/palettes.js';
import { colorizeLabels, genericPalette, hsvToRgb, paletteFor } from '../../../src/infer/palette.js';
import { expectClose } from '../../helpers/close.js';

const EXACT = { rtol: 0, atol: 0 };

test('dataset palettes have one colour per class and the published colours', () => {
  expectClose(CITYSCAPES_PALETTE.length, CITYSCAPES_CLASSES.length, EXACT, 'cityscapes size');
  expectClose(CAMVID_PALETTE.length, CAMVID_CLASSES.length, EXACT, 'camvid size');
  expectClose([...CITYSCAPES_PALETTE[0]!], [128, 64, 128], EXACT, 'cityscapes road');
  expectClose([...CITYSCAPES_PALETTE[13]!], [0, 0, 142], EXACT, 'cityscapes car');
  expectClose([...CITYSCAPES_PALETTE[18]!], [119, 11, 32], EXACT, 'cityscapes bicycle');
  expectClose([...CAMVID_PALETTE[0]!], [128, 128, 128], EXACT, 'camvid sky');
  expectClose([...CAMVID_PALETTE[3]!], [128, 64, 128], EXACT, 'camvid road');
  expectClose([...CAMVID_PALETTE[10]!], [0, 128, 192], EXACT, 'camvid bicyclist');
  assert.equal(paletteFor(CITYSCAPES_CLASSES, DATASET_PALETTES), CITYSCAPES_PALETTE);
  assert.equal(
    paletteFor(
      CAMVID_CLASSES.map((c) => c.toUpperCase()),
      DATASET_PALETTES,
    ),
    CAMVID_PALETTE,
  );
  assert.equal(paletteFor(['a', 'b', 'c'], DATASET_PALETTES).length, 3);
  assert.deepEqual(paletteFor(CITYSCAPES_CLASSES), genericPalette(19), 'without known lists: the generic palette');
});

test('generic palette: hand-checked first colours, deterministic, distinct for 64 classes', () => {
  // c = 0: hue 0, s 0.65, v 0.95 → (v, v(1−s), v(1−s))·255 = (242.25, 84.79, 84.79)
  expectClose([...genericPalette(2)[0]!], [242, 85, 85], EXACT, 'class 0');
  // c = 1: hue 0.618…, sector 3, f 0.7082: (p, q, v) = (0.075, 0.27196, 0.75)·255
  expectClose([...genericPalette(2)[1]!], [19, 69, 191], EXACT, 'class 1');
  const a = genericPalette(64);
  const b = genericPalette(64);
  expectClose(a.flat(), b.flat(), EXACT, 'same twice');
  assert.equal(new Set(a.map((c) => c.join(','))).size, 64);
  for (const c of a) for (const v of c) assert.ok(Number.isInteger(v) && v >= 0 && v <= 255);
  expectClose([...hsvToRgb(1 / 3, 1, 1)], [0, 255, 0], EXACT, 'pure green');
  assert.throws(() => genericPalette(0), ValueError);
});

test('colorizeLabels: hand-checked pixels, ignore colour for 255 and negatives', () => {
  const map = { width: 2, height: 2, data: Uint8Array.from([0, 3, 255, 10]) };
  const img = colorizeLabels(map, CAMVID_PALETTE, [1, 2, 3]);
  assert.equal(img.width, 2);
  assert.equal(img.height, 2);
  expectClose(img.data, [128, 128, 128, 128, 64, 128, 1, 2, 3, 0, 128, 192], EXACT, 'rgb');
  const i32 = { width: 3, height: 1, data: Int32Array.from([-1, 1, 0]) };
  expectClose(
    colorizeLabels(i32, [
      [10, 20, 30],
      [40, 50, 60],
    ]).data,
    [0, 0, 0, 40, 50, 60, 10, 20, 30],
    EXACT,
    'int32',
  );
});

test('colorizeLabels rejects out-of-range classes, bad shapes and bad colours', () => {
  assert.throws(
    () => colorizeLabels({ width: 1, height: 1, data: Uint8Array.from([11]) }, CAMVID_PALETTE),
    (e: unknown) => e instanceof ValueError && /value 11/.test(e.message),
  );
  assert.throws(() => colorizeLabels({ width: 2, height: 2, data: new Uint8Array(3) }, CAMVID_PALETTE), ShapeError);
  assert.throws(() => colorizeLabels({ width: 1, height: 1, data: new Uint8Array(1) }, [[0, 0, 256]]), ValueError);
  assert.throws(() => colorizeLabels({ width: 1, height: 1, data: new Uint8Array(1) }, []), ShapeError);
});
