import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeImage, encodeRgbPng, imageSize } from '../../../src/data/image-io.js';
import type { RgbImage } from '../../../src/data/sample.js';
import { ImageHeaderError, readImageHeader, sniffFormat } from '../../../src/server/image-header.js';
import { HttpError } from '../../../src/server/errors.js';
import { checkImageHeader } from '../../../src/server/segment.js';
import { pngHeaderOnly } from './fixture.js';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3).map((_, i) => (i * 7) % 256);
  return { width, height, data };
}

test('PNG, JPEG and WebP headers give the size sharp reads from the full file', async () => {
  for (const [w, h] of [
    [1, 1],
    [37, 20],
    [300, 129],
  ] as const) {
    const image = gradient(w, h);
    const files: [string, Uint8Array][] = [
      ['png', encodeRgbPng(image)],
      ['jpeg', await encodeImage(image, 'jpeg')],
      ['webp', await encodeImage(image, 'webp')],
      ['webp', await encodeImage(image, 'webp', 100)],
    ];
    for (const [format, bytes] of files) {
      const header = readImageHeader(bytes);
      assert.deepEqual(header, { format, width: w, height: h }, `${format} ${w}×${h}`);
      assert.deepEqual(await imageSize(bytes, format), { width: w, height: h });
    }
  }
});

test('a header-only PNG declaring 20000×20000 is read without any image data', () => {
  assert.deepEqual(readImageHeader(pngHeaderOnly(20000, 20000)), { format: 'png', width: 20000, height: 20000 });
  assert.throws(
    () => checkImageHeader(pngHeaderOnly(20000, 20000), 16_000_000),
    (e: unknown) =>
      e instanceof HttpError && e.status === 422 && e.code === 'too_many_pixels' && /20000×20000/.test(e.message),
  );
  assert.deepEqual(checkImageHeader(pngHeaderOnly(4000, 4000), 16_000_000), {
    format: 'png',
    width: 4000,
    height: 4000,
  });
  assert.throws(() => checkImageHeader(pngHeaderOnly(4000, 4001), 16_000_000), /too|limit/);
});

test('truncated, empty and unknown headers are ImageHeaderErrors naming the problem', () => {
  const png = encodeRgbPng(gradient(4, 4));
  assert.throws(
    () => readImageHeader(png.subarray(0, 12)),
    (e: unknown) => e instanceof ImageHeaderError && /PNG file is truncated/.test(e.message),
  );
  assert.throws(() => readImageHeader(pngHeaderOnly(0, 10)), /declares an empty image \(0×10\)/);
  assert.throws(() => readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), /JPEG file is truncated or corrupt/);
  assert.throws(
    () => readImageHeader(new TextEncoder().encode('GIF89a......')),
    /not a PNG, JPEG or WebP image \(first bytes: 47 49 46 38/,
  );
  assert.throws(() => readImageHeader(new Uint8Array(0)), /not a PNG, JPEG or WebP/);
  assert.equal(sniffFormat(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), 'webp');
  assert.throws(() => readImageHeader(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), /WebP file is truncated/);
});
