import test from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../../src/model/crc32.js';
import { createRng, nextUint32 } from '../../../src/random.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time oracle straight from the definition (reflected polynomial 0xEDB88320). */
function crc32Naive(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('standard check value: crc32("123456789") = 0xCBF43926', () => {
  assert.equal(crc32(ascii('123456789')), 0xcbf43926);
});

test('published vectors: empty input is 0; the quick brown fox is 0x414FA339', () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

test('table-driven result equals the bitwise oracle on random inputs, and is unsigned', () => {
  const rng = createRng(11);
  for (let n = 0; n < 300; n += 7) {
    const bytes = new Uint8Array(n).map(() => nextUint32(rng) & 0xff);
    const c = crc32(bytes);
    assert.equal(c, crc32Naive(bytes));
    assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
  }
});

test('a running checksum continues across chunks: crc32(b, crc32(a)) = crc32(a ‖ b)', () => {
  const all = ascii('123456789 and then some more bytes');
  for (const cut of [0, 1, 9, all.length]) {
    assert.equal(crc32(all.subarray(cut), crc32(all.subarray(0, cut))), crc32(all));
  }
});

test('works on a view with a non-zero byteOffset', () => {
  const backing = ascii('xx123456789yy');
  assert.equal(crc32(backing.subarray(2, 11)), 0xcbf43926);
});
