import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { encodeNpy, parseNpy, type NpyArray, type NpyDtype } from '../../../src/data/npy.js';

/** Hand-assembles an .npy file: magic, version, header length, padded header text, data bytes. */
function assemble(header: string, data: number[], version = 1, pad = true): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let text = header;
  if (pad) {
    const total = Math.ceil((pre + header.length + 1) / 64) * 64;
    text = header + ' '.repeat(total - pre - header.length - 1) + '\n';
  }
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

test('encodes exactly the layout NumPy writes (header dict, 64-byte alignment, little-endian data)', () => {
  const bytes = encodeNpy({ dtype: 'int32', shape: [2, 3], data: Int32Array.of(1, 2, 3, 4, 5, 6) });
  const want = assemble(
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
    [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0],
  );
  assert.deepEqual(bytes, want);
  assert.equal((bytes.length - 24) % 64, 0);
  // 1-D shapes are written as a one-element tuple, 1-byte types with '|'
  const one = encodeNpy({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 8, 9) });
  assert.ok(
    new TextDecoder()
      .decode(one.subarray(10, 70))
      .startsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"),
  );
});

test('round-trips every dtype in both byte orders and all three format versions', () => {
  const samples: Record<NpyDtype, NpyArray['data']> = {
    bool: Uint8Array.of(0, 1, 1, 0, 1, 0),
    int8: Int8Array.of(-128, -1, 0, 1, 2, 127),
    uint8: Uint8Array.of(0, 1, 2, 128, 254, 255),
    int16: Int16Array.of(-32768, -2, 0, 3, 300, 32767),
    uint16: Uint16Array.of(0, 1, 2, 3, 40000, 65535),
    int32: Int32Array.of(-2147483648, -5, 0, 6, 70000, 2147483647),
    uint32: Uint32Array.of(0, 1, 2, 3, 4, 4294967295),
    int64: BigInt64Array.of(-(2n ** 63n), -1n, 0n, 1n, 2n ** 40n, 2n ** 63n - 1n),
    uint64: BigUint64Array.of(0n, 1n, 2n, 3n, 4n, 2n ** 64n - 1n),
    float16: Float32Array.of(-2, -0.5, 0, 0.0999755859375, 1, 65504),
    float32: Float32Array.of(-1.5, 0, 1e-30, 3.25, -7, Math.fround(0.1)),
    float64: Float64Array.of(-1.5, 0, 1e-300, Math.PI, -7, 0.1),
  };
  for (const [dtype, data] of Object.entries(samples) as Array<[NpyDtype, NpyArray['data']]>) {
    for (const endian of ['little', 'big'] as const) {
      for (const version of [1, 2, 3] as const) {
        const arr: NpyArray = { dtype, shape: [2, 3], data };
        const back = parseNpy(encodeNpy(arr, { endian, version }), 'x.npy');
        assert.equal(back.dtype, dtype);
        assert.deepEqual(back.shape, [2, 3]);
        assert.deepEqual(
          Array.from(back.data as ArrayLike<number | bigint>),
          Array.from(data as ArrayLike<number | bigint>),
          `${dtype} ${endian} v${version}`,
        );
      }
    }
  }
});

test('big-endian and float16 data decode from hand-made bytes', () => {
  const be = parseNpy(assemble("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", [0x01, 0x02, 0xff, 0xfe]));
  assert.deepEqual(Array.from(be.data as Int16Array), [0x0102, -2]);
  const f16 = parseNpy(assemble("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", [0x00, 0x3c, 0x66, 0x2e]));
  assert.deepEqual(Array.from(f16.data as Float32Array), [1, 0.0999755859375]);
  const b = parseNpy(assemble("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [0, 1, 2]));
  assert.deepEqual(Array.from(b.data as Uint8Array), [0, 1, 1]);
});

test('Fortran-order files are transposed into C order; scalars and empty arrays', () => {
  // logical [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6
  const f = parseNpy(assemble("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", [1, 4, 2, 5, 3, 6]));
  assert.deepEqual(Array.from(f.data as Uint8Array), [1, 2, 3, 4, 5, 6]);
  // 3-D: shape (2, 2, 2), element (i, j, k) = 100i + 10j + k, Fortran offset i + 2j + 4k
  const logical = [0, 1, 10, 11, 100, 101, 110, 111];
  const fortranBytes = new Array<number>(8);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      for (let k = 0; k < 2; k++) fortranBytes[i + 2 * j + 4 * k] = logical[4 * i + 2 * j + k] as number;
  const f3 = parseNpy(assemble("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", fortranBytes));
  assert.deepEqual(Array.from(f3.data as Uint8Array), logical);
  const written = encodeNpy(
    { dtype: 'uint8', shape: [2, 2, 2], data: Uint8Array.from(logical) },
    { fortranOrder: true },
  );
  assert.deepEqual(Array.from(written.subarray(written.length - 8)), fortranBytes);
  assert.deepEqual(Array.from(parseNpy(written).data as Uint8Array), logical);
  const scalar = parseNpy(
    assemble("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", [0, 0, 0, 0, 0, 0, 0x04, 0x40]),
  );
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual(Array.from(scalar.data as Float64Array), [2.5]);
  const empty = parseNpy(encodeNpy({ dtype: 'float32', shape: [0, 3], data: new Float32Array(0) }));
  assert.deepEqual(empty.shape, [0, 3]);
  // Python 2 style long integers and double quotes are accepted
  const py2 = parseNpy(assemble('{"descr": "<u2", "fortran_order": False, "shape": (1L,)}', [5, 0]));
  assert.deepEqual(Array.from(py2.data as Uint16Array), [5]);
});

test('errors are FormatErrors naming the file and the problem', () => {
  const ok = encodeNpy({ dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) });
  const bad = (bytes: Uint8Array, re: RegExp): void => {
    assert.throws(
      () => parseNpy(bytes, 'S.npy'),
      (e: unknown) => e instanceof FormatError && e.message.startsWith('S.npy: ') && re.test(e.message),
      re.source,
    );
  };
  bad(new TextEncoder().encode('PK\x03\x04 not numpy'), /missing the \\x93NUMPY magic/);
  const v4 = ok.slice();
  v4[6] = 4;
  bad(v4, /unsupported \.npy format version 4\.0/);
  bad(ok.subarray(0, 40), /truncated header/);
  bad(ok.subarray(0, ok.length - 1), /truncated data: shape \(2\) of float32 needs 8 bytes, file has 7/);
  bad(Uint8Array.from([...ok, 0, 0]), /2 unexpected bytes after the data/);
  bad(
    assemble("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Array(16).fill(0)),
    /unsupported dtype '<c16'/,
  );
  bad(
    assemble("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", new Array(16).fill(0)),
    /unsupported dtype '<U4'/,
  );
  bad(
    assemble("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]),
    /structured dtypes are not supported/,
  );
  bad(assemble("{'descr': '<f4', 'shape': (1,), }", [0, 0, 0, 0]), /expected \{descr, fortran_order, shape\}/);
  bad(assemble("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", []), /non-negative integers/);
  bad(assemble("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,), }", [0, 0, 0, 0]), /malformed header/);
  assert.throws(
    () => encodeNpy({ dtype: 'int32', shape: [3], data: Int32Array.of(1, 2) }),
    /data has 2 values, shape \(3\) needs 3/,
  );
});
