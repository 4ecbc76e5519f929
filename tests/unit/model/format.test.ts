import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { crc32 } from '../../../src/model/crc32.js';
import {
  DATA_ALIGNMENT,
  FORMAT_VERSION,
  PREAMBLE_BYTE_LENGTH,
  decodeHeader,
  decodeModel,
  decodePreamble,
  encodeModel,
  isLittleEndianHost,
  tensorFromLittleEndian,
  tensorToLittleEndian,
} from '../../../src/model/format.js';
import type { ModelFile, NamedTensor } from '../../../src/model/model-types.js';
import { createRng, normal } from '../../../src/random.js';

function sampleModel(): ModelFile {
  const rng = createRng(5);
  const means = new Float32Array(18).map(() => normal(rng));
  means.set([NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38], 0); // bit patterns must survive
  return {
    config: { componentsPerClass: 2, embeddingDim: 3, ignoreIndex: 255, meanMomentum: 0.999, name: 'tiny ü ✓' },
    classes: ['background', 'road', 'car'],
    preprocessing: { mean: [0.5, 0.25, 0.125], std: [1, 2, 4], inputSize: [32, 32] },
    metrics: { synthetic: { mIoU: 0.875, perClassIoU: [1, null, 0.75], command: 'gmmseg train --seed 1' } },
    calibration: { anomalyThreshold: -12.5 },
    tensors: {
      'gmm.means': { dtype: 'float32', shape: [3, 2, 3], data: means },
      labels: { dtype: 'int32', shape: [2, 3], data: new Int32Array([-2147483648, 2147483647, 0, -1, 1, 65536]) },
      mask: { dtype: 'uint8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
      empty: { dtype: 'float32', shape: [0], data: new Float32Array(0) },
      empty3d: { dtype: 'int32', shape: [2, 0, 3], data: new Int32Array(0) },
      scalar: { dtype: 'float32', shape: [], data: new Float32Array([2.5]) },
      scalarU8: { dtype: 'uint8', shape: [], data: new Uint8Array([7]) },
      afterScalars: { dtype: 'int32', shape: [1], data: new Int32Array([42]) },
    },
  };
}

const bytesOf = (t: NamedTensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Models equal, tensors compared bit for bit (NaN payloads and -0 included). */
function assertSameModel(actual: ModelFile, expected: ModelFile): void {
  const { tensors: ta, ...restA } = actual;
  const { tensors: te, ...restE } = expected;
  assert.deepStrictEqual(restA, restE);
  assert.deepStrictEqual(Object.keys(ta), Object.keys(te));
  for (const [name, t] of Object.entries(te)) {
    const a = ta[name] as NamedTensor;
    assert.equal(a.dtype, t.dtype, name);
    assert.deepStrictEqual(a.shape, t.shape, name);
    assert.equal(a.data.constructor, t.data.constructor, name);
    assert.deepStrictEqual(bytesOf(a), bytesOf(t), name);
  }
}

test('round trip keeps every section and every tensor bit for bit (all dtypes, empty tensors, scalars)', () => {
  const m = sampleModel();
  assertSameModel(decodeModel(encodeModel(m)), m);
});

test('a model without tensors and with empty sections round-trips', () => {
  const m: ModelFile = { config: {}, classes: [], preprocessing: {}, metrics: {}, calibration: {}, tensors: {} };
  const bytes = encodeModel(m);
  assertSameModel(decodeModel(bytes), m);
  assert.equal(decodeHeader(bytes).dataByteLength, 0);
  assert.equal(bytes.length % DATA_ALIGNMENT, 0);
});

test('tensor names that look special (__proto__, numeric, unicode) round-trip as own keys', () => {
  const t = (v: number): NamedTensor => ({ dtype: 'int32', shape: [1], data: new Int32Array([v]) });
  const tensors: Record<string, NamedTensor> = { ['__proto__']: t(1), '7': t(2), 'é/ü.x': t(3) };
  const m: ModelFile = { config: {}, classes: [], preprocessing: {}, metrics: {}, calibration: {}, tensors };
  const out = decodeModel(encodeModel(m));
  assert.ok(Object.hasOwn(out.tensors, '__proto__'));
  assertSameModel(out, m);
});

test('encoding is deterministic and the decoded arrays are independent copies', () => {
  const m = sampleModel();
  const bytes = encodeModel(m);
  assert.deepStrictEqual(encodeModel(sampleModel()), bytes);
  const out = decodeModel(bytes);
  for (const t of Object.values(out.tensors)) {
    assert.equal(t.data.byteOffset, 0);
    assert.equal(t.data.buffer.byteLength, t.data.byteLength);
  }
  bytes.fill(0);
  assertSameModel(out, m);
});

test('a Node Buffer (pooled, with a byteOffset) decodes to copies too', () => {
  const m = sampleModel();
  const buf = Buffer.from(encodeModel(m));
  const out = decodeModel(buf);
  assertSameModel(out, m);
  const means = (out.tensors['gmm.means'] as NamedTensor).data;
  assert.equal(means.buffer.byteLength, means.byteLength);
});

test('byte layout: magic, LE version, header length and CRC, zero flags, padding, data section', () => {
  const m = sampleModel();
  const bytes = encodeModel(m, { createdBy: 'gmmseg test' });
  assert.deepStrictEqual([...bytes.subarray(0, 8)], [0x47, 0x4d, 0x4d, 0x53, 0x45, 0x47, 0x0d, 0x0a]);
  const u32 = (at: number): number =>
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  assert.equal(u32(8), FORMAT_VERSION);
  assert.deepStrictEqual([...bytes.subarray(8, 12)], [1, 0, 0, 0]);
  const h = u32(12);
  const headerBytes = bytes.subarray(PREAMBLE_BYTE_LENGTH, PREAMBLE_BYTE_LENGTH + h);
  assert.equal(u32(16), crc32(headerBytes));
  assert.equal(u32(20), 0);
  const header = JSON.parse(new TextDecoder().decode(headerBytes));
  assert.deepStrictEqual(header, decodeHeader(bytes));
  assert.equal(header.formatVersion, FORMAT_VERSION);
  assert.equal(header.createdBy, 'gmmseg test');
  assert.deepStrictEqual(Object.keys(header), [
    'formatVersion',
    'config',
    'classes',
    'preprocessing',
    'metrics',
    'calibration',
    'tensors',
    'dataByteLength',
    'dataCrc32',
    'createdBy',
  ]);
  const dataOffset = Math.ceil((PREAMBLE_BYTE_LENGTH + h) / 64) * 64;
  assert.equal(decodePreamble(bytes).dataOffset, dataOffset);
  assert.ok(bytes.subarray(PREAMBLE_BYTE_LENGTH + h, dataOffset).every((b) => b === 0));
  assert.equal(bytes.length, dataOffset + header.dataByteLength);
  assert.equal(header.dataCrc32, crc32(bytes.subarray(dataOffset)));
  for (const e of header.tensors) {
    assert.equal(e.offset % 64, 0, `${e.name} offset ${e.offset}`);
    assert.equal((dataOffset + e.offset) % 64, 0);
    const t = m.tensors[e.name] as NamedTensor;
    assert.deepStrictEqual(bytes.subarray(dataOffset + e.offset, dataOffset + e.offset + e.byteLength), bytesOf(t));
  }
});

test('tensor data is little-endian: 1.0f = 00 00 80 3F, -2.0f = 00 00 00 C0, int32 0x01020304 = 04 03 02 01', () => {
  const m: ModelFile = {
    config: {},
    classes: [],
    preprocessing: {},
    metrics: {},
    calibration: {},
    tensors: {
      f: { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) },
      i: { dtype: 'int32', shape: [1], data: new Int32Array([0x01020304]) },
    },
  };
  const bytes = encodeModel(m);
  const p = decodePreamble(bytes);
  const [f, i] = decodeHeader(bytes).tensors;
  assert.deepStrictEqual(
    [...bytes.subarray(p.dataOffset + f!.offset, p.dataOffset + f!.offset + 8)],
    [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0],
  );
  assert.deepStrictEqual([...bytes.subarray(p.dataOffset + i!.offset, p.dataOffset + i!.offset + 4)], [4, 3, 2, 1]);
});

test('the big-endian-host code path produces and reads the same little-endian bytes', () => {
  assert.equal(isLittleEndianHost(), new Uint8Array(new Uint32Array([1]).buffer)[0] === 1);
  const f = new Float32Array([1, -2, NaN, 1e-40, 3.5]);
  const i = new Int32Array([0x01020304, -1, -2147483648]);
  for (const data of [f, i, new Uint8Array([1, 2, 3])]) {
    const le = tensorToLittleEndian(data, true);
    assert.deepStrictEqual(tensorToLittleEndian(data, false), le);
  }
  assert.deepStrictEqual([...tensorToLittleEndian(new Int32Array([0x01020304]), false)], [4, 3, 2, 1]);
  const fBytes = tensorToLittleEndian(f, false);
  assert.deepStrictEqual(new Uint8Array(tensorFromLittleEndian(fBytes, 'float32', false).buffer), fBytes);
  assert.deepStrictEqual(tensorFromLittleEndian(tensorToLittleEndian(i, false), 'int32', false), i);
  assert.deepStrictEqual(
    tensorFromLittleEndian(new Uint8Array([4, 3, 2, 1]), 'int32', false),
    new Int32Array([0x01020304]),
  );
});

test('encodeModel rejects values JSON cannot round-trip, naming the path', () => {
  const cases: [(m: ModelFile) => void, RegExp][] = [
    [
      (m) => ((m.metrics['synthetic'] as { perClassIoU: unknown[] }).perClassIoU[1] = NaN),
      /'metrics\.synthetic\.perClassIoU\[1\]' is NaN.*store null/,
    ],
    [(m) => (m.config['x'] = Infinity), /'config\.x' is Infinity/],
    [(m) => (m.config['x'] = undefined), /'config\.x' is undefined/],
    [(m) => (m.calibration['when'] = new Date(0)), /'calibration\.when' is a Date/],
    [(m) => (m.preprocessing['mean'] = new Float32Array(3)), /'preprocessing\.mean' is a Float32Array/],
    [(m) => (m.config['f'] = () => 1), /'config\.f' is a function/],
    [(m) => (m.config['big'] = 10n), /bigint/],
    [(m) => (m.config['self'] = m.config), /nested too deep \(or circular\)/],
    [(m) => ((m as { classes: unknown }).classes = ['a', 1]), /'classes' must be an array of strings/],
    [(m) => ((m as { metrics: unknown }).metrics = []), /'metrics' must be a plain object/],
  ];
  for (const [mutate, re] of cases) {
    const m = sampleModel();
    mutate(m);
    assert.throws(
      () => encodeModel(m),
      (e: unknown) => e instanceof ValueError && re.test(e.message),
    );
  }
});

test('encodeModel rejects bad tensors with ShapeError or ValueError', () => {
  const bad: [NamedTensor, typeof ShapeError | typeof ValueError, RegExp][] = [
    [
      { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) },
      ShapeError,
      /shape \[2, 2\] \(4 elements\) but 3 data elements/,
    ],
    [{ dtype: 'float32', shape: [-1], data: new Float32Array(0) }, ShapeError, /non-negative integers/],
    [{ dtype: 'float32', shape: [1.5], data: new Float32Array(1) }, ShapeError, /non-negative integers/],
    [
      { dtype: 'int32', shape: [1], data: new Float32Array(1) },
      ValueError,
      /dtype 'int32' but its data is a Float32Array, expected Int32Array/,
    ],
    [
      { dtype: 'float64', shape: [1], data: new Float32Array(1) } as unknown as NamedTensor,
      ValueError,
      /dtype float64; valid: float32, int32, uint8/,
    ],
  ];
  for (const [t, cls, re] of bad) {
    const m = sampleModel();
    m.tensors['bad'] = t;
    assert.throws(
      () => encodeModel(m),
      (e: unknown) => e instanceof cls && /tensor 'bad'/.test(e.message) && re.test(e.message),
    );
  }
  const m = sampleModel();
  m.tensors[''] = { dtype: 'uint8', shape: [0], data: new Uint8Array(0) };
  assert.throws(() => encodeModel(m), /tensor names must be non-empty/);
});
