/**
 * Fuzzing image and label decoding (issue 13, "keep them fixed"): edited PNG, JPEG, WebP, GIF and TIFF photos decode
 * to a consistent `[H, W, 3]` image or give a FormatError; edited label PNGs (grey, palette, 1-bit, 16-bit) decode to
 * `[H, W]` values or give a FormatError, and the label codecs map them into the class range or give a ValueError —
 * never another exception or a hang.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import sharp from 'sharp';
import { encode as encodePng } from 'fast-png';
import { decodeImage, decodeLabelPng, encodeImage, encodeLabelPng, encodeRgbPng } from '../../../src/data/image-io.js';
import { anomalyMaskCodec, classIndexCodec } from '../../../src/data/label-codec.js';
import { IGNORE_INDEX } from '../../../src/data/sample.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { crc32 } from '../../../src/model/crc32.js';
import { fuzzParams, hostileBytes, typedOrResult, typedOrResultAsync } from '../../helpers/fuzz.js';
import { photoMaker } from '../../helpers/tree.js';

const photo = photoMaker(13, 5)(12, 9, 1);

/**
 * Recomputes the CRC of every complete chunk of a (possibly edited) PNG, so that edits get past the CRC check into
 * the header validation and the decompression. Other files pass through unchanged.
 */
function resealPng(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length < 8 || out[1] !== 0x50 || out[2] !== 0x4e || out[3] !== 0x47) return out;
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length;) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return out;
}

/** Hostile versions of `valid`, half of them with their PNG chunk CRCs made right again. */
function hostile(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(hostileBytes(valid), fc.boolean()).map(([b, reseal]) => (reseal ? resealPng(b) : b));
}

/** One small photo in every container the readers accept. */
async function photos(): Promise<Uint8Array[]> {
  const raw = sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  return [
    encodeRgbPng(photo),
    await encodeImage(photo, 'jpeg'),
    await encodeImage(photo, 'webp'),
    new Uint8Array(await raw.clone().gif().toBuffer()),
    new Uint8Array(await raw.clone().tiff().toBuffer()),
    new Uint8Array(await raw.clone().ensureAlpha().png().toBuffer()),
  ];
}

/** Label PNGs: 8-bit grey, palette, 1-bit and 16-bit grey. */
function labels(): Uint8Array[] {
  const w = 10;
  const h = 7;
  const values = Uint8Array.from({ length: w * h }, (_, i) => [0, 1, 2, 255][i % 4] as number);
  return [
    encodeLabelPng({ width: w, height: h, data: values }),
    encodeLabelPng({ width: w, height: h, data: values }, [
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
    ]),
    encodePng({ width: 16, height: 3, channels: 1, depth: 1, data: new Uint8Array(6).fill(0xa5) }),
    encodePng({ width: 4, height: 2, channels: 1, depth: 16, data: new Uint16Array([0, 1, 2, 255, 3, 2, 1, 0]) }),
  ];
}

test('decodeImage: edited photos give a consistent RGB image or a FormatError', { timeout: 120_000 }, async () => {
  const valid = await photos();
  for (const bytes of valid) assert.ok(await decodeImage(bytes, 'seed'), 'every seed file decodes');
  await fc.assert(
    fc.asyncProperty(hostile(valid), async (bytes) => {
      const img = await typedOrResultAsync(() => decodeImage(bytes, 'fuzz.img'));
      if (!img) return;
      assert.ok(img.width > 0 && img.height > 0);
      assert.equal(img.data.length, img.width * img.height * 3);
    }),
    fuzzParams(0x1311, 600),
  );
});

test('decodeImage errors are FormatErrors naming the file', async () => {
  await assert.rejects(decodeImage(new Uint8Array([1, 2, 3]), 'x/y.png'), (e: unknown) => {
    return e instanceof FormatError && e.message.includes("'x/y.png'");
  });
});

test('decodeLabelPng and the label codecs: values in range, or a FormatError / ValueError', { timeout: 60_000 }, () => {
  const codecs = [classIndexCodec(3), anomalyMaskCodec()];
  fc.assert(
    fc.property(hostile(labels()), (bytes) => {
      const map = typedOrResult(() => decodeLabelPng(bytes, 'fuzz.png'));
      if (!map) return;
      assert.equal(map.data.length, map.width * map.height);
      for (const codec of codecs) {
        let mapped: Uint8Array | undefined;
        try {
          mapped = codec.map(map.data, map.width, 'fuzz.png');
        } catch (e) {
          assert.ok(e instanceof ValueError, String(e));
          continue;
        }
        const allowed = codec.kind === 'anomaly' ? [0, 1, IGNORE_INDEX] : [0, 1, 2, IGNORE_INDEX];
        assert.ok(
          mapped.every((v) => allowed.includes(v)),
          'mapped values lie in the class range',
        );
      }
    }),
    fuzzParams(0x1312, 3000),
  );
});
