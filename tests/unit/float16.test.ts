import test from 'node:test';
import { expectClose } from '../helpers/close.js';
import assert from 'node:assert/strict';
import { castFloat16, float16Bits, float16Sub, fromFloat16Bits, toFloat16 } from '../../src/float16.js';

/** Bit-exact comparison through the project's tolerance helper. */
const EXACT = { rtol: 0, atol: 0 };

test('known float16 bit patterns (IEEE 754 binary16 table values)', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [0.1, 0x2e66], // 0.0999755859375
    [1 / 3, 0x3555], // 0.333251953125
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ];
  for (const [x, bits] of cases) assert.equal(float16Bits(x), bits, `float16Bits(${x})`);
  expectClose(toFloat16(0.1), 0.0999755859375, EXACT, 'toFloat16(0.1)');
  assert.equal(float16Bits(NaN), 0x7e00);
  assert.ok(Number.isNaN(toFloat16(NaN)));
  assert.ok(Object.is(toFloat16(-0), -0));
});

test('round to nearest, ties to even, at normal, subnormal and overflow boundaries', () => {
  expectClose(toFloat16(1 + 2 ** -11), 1, EXACT, 'toFloat16(1 + 2 ** -11)'); // halfway 1 ↔ 1+2⁻¹⁰ → even (1)
  expectClose(toFloat16(1 + 3 * 2 ** -11), 1 + 2 ** -9, EXACT, 'toFloat16(1 + 3 * 2 ** -11)'); // halfway → even mantissa 2
  expectClose(toFloat16(1 + 2 ** -11 + 2 ** -30), 1 + 2 ** -10, EXACT, 'toFloat16(1 + 2 ** -11 + 2 ** -30)'); // just above halfway → up
  expectClose(toFloat16(2 ** -25), 0, EXACT, 'toFloat16(2 ** -25)'); // halfway 0 ↔ 2⁻²⁴ → even (0)
  expectClose(toFloat16(3 * 2 ** -25), 2 ** -23, EXACT, 'toFloat16(3 * 2 ** -25)'); // halfway 1 ↔ 2 subnormal units → 2
  expectClose(toFloat16(2 ** -25 + 2 ** -40), 2 ** -24, EXACT, 'toFloat16(2 ** -25 + 2 ** -40)');
  expectClose(toFloat16(2 ** -14 - 2 ** -25), 2 ** -14, EXACT, 'toFloat16(2 ** -14 - 2 ** -25)'); // halfway largest subnormal ↔ smallest normal → even (normal)
  expectClose(toFloat16(65519.99), 65504, EXACT, 'toFloat16(65519.99)');
  expectClose(toFloat16(65520), Infinity, EXACT, 'toFloat16(65520)'); // halfway 65504 ↔ 65536 → even → overflow
  expectClose(toFloat16(-70000), -Infinity, EXACT, 'toFloat16(-70000)');
  expectClose(toFloat16(2047.5), 2048, EXACT, 'toFloat16(2047.5)'); // spacing 1 in [1024, 2048): tie → even
  expectClose(toFloat16(2049), 2048, EXACT, 'toFloat16(2049)'); // spacing 2 in [2048, 4096): tie → even (2048)
  expectClose(toFloat16(2051), 2052, EXACT, 'toFloat16(2051)');
});

test('every finite float16 round-trips; midpoints round to the even neighbour, off-midpoints to the nearest', () => {
  for (let h = 0; h < 0x7c00; h++) {
    const x = fromFloat16Bits(h);
    assert.equal(float16Bits(x), h);
    assert.equal(float16Bits(-x), h | 0x8000);
    if (h + 1 < 0x7c00) {
      const y = fromFloat16Bits(h + 1);
      const mid = (x + y) / 2; // exact in float64
      const even = h % 2 === 0 ? h : h + 1;
      assert.equal(float16Bits(mid), even, `midpoint of 0x${h.toString(16)}`);
      const q = (y - x) / 8;
      assert.equal(float16Bits(mid - q), h);
      assert.equal(float16Bits(mid + q), h + 1);
    }
  }
});

test('castFloat16 and float16 subtraction', () => {
  expectClose(
    [...castFloat16(Float32Array.of(0.1, 1, 3))],
    [0.0999755859375, 1, 3],
    EXACT,
    '[...castFloat16(Float32Array.of(0.1, 1, 3))]',
  );
  // 2048 − 0.0999755859375 = 2047.900… rounds to 2048 in float16
  expectClose(float16Sub(2048, toFloat16(0.1)), 2048, EXACT, 'float16Sub(2048, toFloat16(0.1))');
  expectClose(float16Sub(1.5, 1), 0.5, EXACT, 'float16Sub(1.5, 1)');
});
