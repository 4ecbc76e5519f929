import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encode as encodePng } from 'fast-png';
import { FormatError } from '../../../src/errors.js';
import { crc32 } from '../../../src/model/crc32.js';
import {
  decodeImage,
  decodeLabelPng,
  encodeImage,
  encodeLabelPng,
  encodeRgbPng,
  imageSize,
} from '../../../src/data/image-io.js';

const rgb = {
  width: 3,
  height: 2,
  data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]),
};

test('decodeImage: PNG round trip is exact; RGBA drops alpha; grey becomes RGB', async () => {
  const back = await decodeImage(encodeRgbPng(rgb), 'rgb.png');
  assert.deepEqual(back, rgb);
  const rgba = encodePng({
    width: 2,
    height: 1,
    data: Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]),
    channels: 4,
    depth: 8,
  });
  const a = await decodeImage(rgba, 'rgba.png');
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  const grey = encodePng({ width: 2, height: 1, data: Uint8Array.from([7, 200]), channels: 1, depth: 8 });
  const g = await decodeImage(grey, 'grey.png');
  assert.deepEqual([...g.data], [7, 7, 7, 200, 200, 200]);
});

test('decodeImage: JPEG and WebP decode to [H, W, 3]; imageSize reads the header', async () => {
  for (const format of ['jpeg', 'webp'] as const) {
    const bytes = await encodeImage({ width: 5, height: 4, data: new Uint8Array(60).fill(128) }, format);
    const img = await decodeImage(bytes, `x.${format}`);
    assert.equal(img.width, 5);
    assert.equal(img.height, 4);
    assert.equal(img.data.length, 60);
    assert.deepEqual(await imageSize(bytes, `x.${format}`), { width: 5, height: 4 });
  }
});

test('decodeImage / imageSize: garbage bytes give a FormatError naming the file', async () => {
  await assert.rejects(decodeImage(new TextEncoder().encode('not an image'), 'bad/photo.jpg'), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.match(e.message, /'bad\/photo\.jpg' is not a readable image/);
    return true;
  });
  await assert.rejects(imageSize(new Uint8Array(10), 'z.png'), /z\.png/);
});

test('decodeLabelPng: palette PNGs give raw indices, never colours', () => {
  const palette = [
    [0, 0, 0],
    [128, 0, 0],
    [0, 128, 0],
    [128, 128, 0],
  ];
  const map = { width: 4, height: 1, data: Uint8Array.from([0, 3, 1, 2]) };
  const bytes = encodeLabelPng(map, palette);
  const back = decodeLabelPng(bytes, 'voc.png');
  assert.deepEqual(back, map);
  // sharp would expand the same file to RGB colours
  return sharp(bytes)
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ info }) => assert.ok(info.channels >= 3));
});

test('decodeLabelPng: 1/2/4-bit palette rows are unpacked; 16-bit grey narrows to 8 bits', () => {
  for (const depth of [1, 2, 4] as const) {
    const max = (1 << depth) - 1;
    const values = [0, max, 1, 0, max, 1, 0, 0, max, 1].map((v) => Math.min(v, max));
    const packed = pack(values, depth, 5, 2);
    const bytes = encodePng({
      width: 5,
      height: 2,
      data: packed,
      channels: 1,
      depth,
      palette: Array.from({ length: max + 1 }, () => [0, 0, 0]),
    });
    assert.deepEqual([...decodeLabelPng(bytes, 'p.png').data], values, `depth ${depth}`);
  }
  const w16 = encodePng({ width: 3, height: 1, data: Uint16Array.from([0, 200, 255]), channels: 1, depth: 16 });
  assert.deepEqual([...decodeLabelPng(w16, 'w16.png').data], [0, 200, 255]);
  const big = encodePng({ width: 2, height: 1, data: Uint16Array.from([0, 300]), channels: 1, depth: 16 });
  assert.throws(
    () => decodeLabelPng(big, 'big16.png'),
    (e: unknown) => e instanceof FormatError && /big16\.png.*300/.test(e.message),
  );
});

test('decodeLabelPng: rejects multi-channel, corrupt, truncated and non-PNG files, naming the file', () => {
  const isFormat = (re: RegExp) => (e: unknown) => e instanceof FormatError && re.test(e.message);
  assert.throws(
    () => decodeLabelPng(encodeRgbPng(rgb), 'labels/colour.png'),
    isFormat(/'labels\/colour\.png' is a RGB PNG with 3 channels/),
  );
  const ga = encodePng({ width: 1, height: 1, data: Uint8Array.from([1, 255]), channels: 2, depth: 8 });
  assert.throws(() => decodeLabelPng(ga, 'ga.png'), isFormat(/'ga\.png' is a grey\+alpha PNG/));
  const good = encodeLabelPng({ width: 8, height: 8, data: new Uint8Array(64).fill(3) });
  const flipped = Uint8Array.from(good);
  flipped[flipped.length - 20] = (flipped[flipped.length - 20] as number) ^ 0xff;
  assert.throws(() => decodeLabelPng(flipped, 'crc.png'), isFormat(/'crc\.png' is a corrupt PNG/));
  assert.throws(() => decodeLabelPng(good.subarray(0, 40), 'cut.png'), isFormat(/'cut\.png' is a corrupt PNG/));
  assert.throws(
    () => decodeLabelPng(new TextEncoder().encode('hello'), 'txt.png'),
    isFormat(/'txt\.png' is not a PNG file/),
  );
});

test('encodeImage / encodeRgbPng / encodeLabelPng check their lengths', async () => {
  assert.throws(
    () => encodeRgbPng({ width: 2, height: 2, data: new Uint8Array(11) }),
    /encodeRgbPng.*11 values, expected 12/,
  );
  assert.throws(
    () => encodeLabelPng({ width: 2, height: 2, data: new Uint8Array(5) }),
    /encodeLabelPng.*5 values, expected 4/,
  );
  await assert.rejects(encodeImage({ width: 2, height: 2, data: new Uint8Array(3) }, 'png'), /encodeImage/);
});

function pack(values: number[], depth: number, width: number, height: number): Uint8Array {
  const perByte = 8 / depth;
  const rowBytes = Math.ceil(width / perByte);
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shift = 8 - depth * ((x % perByte) + 1);
      const i = y * rowBytes + Math.floor(x / perByte);
      out[i] = (out[i] as number) | ((values[y * width + x] as number) << shift);
    }
  }
  return out;
}

test('decodeLabelPng refuses a header that claims more pixels than the compressed data can hold, before decoding', () => {
  // found by the fuzz test: a 10x7 label whose IHDR (CRC made right) says 60000x60000 made fast-png allocate and loop
  // for minutes (Node 24) before failing
  const bytes = Uint8Array.from(encodeLabelPng({ width: 10, height: 7, data: new Uint8Array(70) }));
  const view = new DataView(bytes.buffer);
  view.setUint32(16, 60000);
  view.setUint32(20, 60000);
  view.setUint32(29, crc32(bytes.subarray(12, 29)));
  const t0 = performance.now();
  assert.throws(
    () => decodeLabelPng(bytes, 'big.png'),
    (e: unknown) =>
      e instanceof FormatError &&
      /'big\.png' is a corrupt PNG \(its header claims 60000x60000 pixels, more than its \d+ compressed bytes can hold\)/.test(
        e.message,
      ),
  );
  assert.ok(performance.now() - t0 < 1000, 'refused from the chunk table, not after decoding');
  const legit = encodeLabelPng({ width: 3000, height: 2000, data: new Uint8Array(6_000_000) }); // all zeros: ~6 KB
  assert.equal(decodeLabelPng(legit, 'zeros.png').data.length, 6_000_000, 'highly compressible labels still decode');
});
