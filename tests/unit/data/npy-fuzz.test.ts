/**
 * Fuzzing `.npy` parsing (issue 13, "keep them fixed"): edited files and generated header texts give a consistent
 * array (data length = product of the shape) or a FormatError — never another exception or a hang — and random arrays
 * of every dtype, byte order, layout and format version round-trip exactly.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeNpy, parseNpy, type NpyArray, type NpyDtype } from '../../../src/data/npy.js';
import { FormatError } from '../../../src/errors.js';
import { fuzzParams, hostileBytes } from '../../helpers/fuzz.js';

const DTYPES: NpyDtype[] = [
  'bool',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float16',
  'float32',
  'float64',
];

/** Data of `n` values of `dtype` (values exactly representable in it). */
function dataOf(dtype: NpyDtype, n: number): fc.Arbitrary<NpyArray['data']> {
  const len = { minLength: n, maxLength: n };
  switch (dtype) {
    case 'bool':
      return fc.array(fc.constantFrom(0, 1), len).map((a) => Uint8Array.from(a));
    case 'int8':
      return fc.int8Array(len);
    case 'uint8':
      return fc.uint8Array(len);
    case 'int16':
      return fc.int16Array(len);
    case 'uint16':
      return fc.uint16Array(len);
    case 'int32':
      return fc.int32Array(len);
    case 'uint32':
      return fc.uint32Array(len);
    case 'int64':
      return fc.bigInt64Array(len);
    case 'uint64':
      return fc.bigUint64Array(len);
    case 'float16': // halves: small integers and their halves are exact in float16
      return fc.array(fc.integer({ min: -2048, max: 2048 }), len).map((a) => Float32Array.from(a, (v) => v / 2));
    case 'float32':
      return fc.float32Array({ ...len, noNaN: true });
    case 'float64':
      return fc.float64Array({ ...len, noNaN: true });
  }
}

const anArray: fc.Arbitrary<NpyArray> = fc
  .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) =>
    dataOf(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ).map((data) => ({ dtype, shape, data }) as NpyArray),
  );

const encodeOptions = fc.record({
  version: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
  endian: fc.constantFrom('little', 'big') as fc.Arbitrary<'little' | 'big'>,
  fortranOrder: fc.boolean(),
});

/** Asserts a parse result is self-consistent. */
function consistent(a: NpyArray): void {
  assert.ok(a.shape.every((d) => Number.isSafeInteger(d) && d >= 0));
  assert.equal(
    a.data.length,
    a.shape.reduce((x, y) => x * y, 1),
  );
}

function parsedOrFormatError(bytes: Uint8Array): void {
  let a: NpyArray;
  try {
    a = parseNpy(bytes, 'fuzz.npy');
  } catch (e) {
    assert.ok(e instanceof FormatError, `parseNpy threw ${String(e)}`);
    assert.match(e.message, /^fuzz\.npy: /, 'the error names the file');
    return;
  }
  consistent(a);
}

test('random arrays of every dtype, byte order, layout and version round-trip exactly', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(anArray, encodeOptions, (arr, opts) => {
      const back = parseNpy(encodeNpy(arr, opts));
      assert.equal(back.dtype, arr.dtype);
      assert.deepEqual(back.shape, arr.shape);
      assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(arr.data as ArrayLike<unknown>));
    }),
    fuzzParams(0x1321, 600),
  );
});

test('parseNpy: edited files give a consistent array or a FormatError naming the file', { timeout: 60_000 }, () => {
  const valid = fc
    .sample(fc.tuple(anArray, encodeOptions), { seed: 0x1322, numRuns: 24 })
    .map(([arr, opts]) => encodeNpy(arr, opts));
  fc.assert(fc.property(hostileBytes(valid), parsedOrFormatError), fuzzParams(0x1323, 4000));
});

/** Header texts from NumPy-like pieces: right and wrong keys, dtype codes, shapes with huge or odd dims. */
const headerText = fc
  .tuple(
    fc.constantFrom("'descr'", "'fortran_order'", "'shape'", "'extra'", '"descr"', 'descr'),
    fc.constantFrom("'<f4'", "'>i8'", "'|u1'", "'<c8'", "'<U3'", "'f4'", "'<f4", '[]', '1'),
    fc.constantFrom('True', 'False', 'None', '1', "'x'"),
    fc.array(
      fc.oneof(
        fc.nat(6).map(String),
        fc.constantFrom('2**62', '9007199254740993', '99999999999999999999', '-1', '1.5', '', 'L', '0x10'),
      ),
      { maxLength: 4 },
    ),
    fc.constantFrom(',', '', ', ', ',,'),
    fc.boolean(),
  )
  .map(([k, descr, fortran, dims, trail, swap]) => {
    const shape = `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
    const body = swap
      ? `'shape': ${shape}, ${k}: ${descr}, 'fortran_order': ${fortran}${trail}`
      : `${k}: ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}${trail}`;
    return `{${body} }`;
  });

test('parseNpy: generated header texts give a consistent array or a FormatError', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(headerText, fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1, 2, 3), (text, data, version) => {
      const h = new TextEncoder().encode(`${text}\n`);
      const pre = version === 1 ? 10 : 12;
      const out = new Uint8Array(pre + h.length + data.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
      const v = new DataView(out.buffer);
      if (version === 1) v.setUint16(8, h.length, true);
      else v.setUint32(8, h.length, true);
      out.set(h, pre);
      out.set(data, pre + h.length);
      parsedOrFormatError(out);
    }),
    fuzzParams(0x1324, 3000),
  );
});
