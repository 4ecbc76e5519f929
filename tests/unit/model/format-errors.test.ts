import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { crc32 } from '../../../src/model/crc32.js';
import { decodeHeader, decodeModel, decodePreamble, encodeModel } from '../../../src/model/format.js';
import type { ModelFile, ModelHeader, NamedTensor } from '../../../src/model/model-types.js';
import { createRng, randInt, uniform } from '../../../src/random.js';
import type { Rng } from '../../../src/random.js';

function sampleModel(createdBy = ''): ModelFile {
  return {
    config: { componentsPerClass: 2, embeddingDim: 3, note: createdBy },
    classes: ['background', 'road'],
    preprocessing: { mean: [0.5, 0.25, 0.125], std: [1, 2, 4] },
    metrics: { synthetic: { mIoU: 0.875 } },
    calibration: { anomalyThreshold: -12.5 },
    tensors: {
      'gmm.means': { dtype: 'float32', shape: [2, 2, 3], data: new Float32Array(12).map((_, i) => i / 7) },
      labels: { dtype: 'int32', shape: [3], data: new Int32Array([-5, 0, 5]) },
      empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      mask: { dtype: 'uint8', shape: [], data: new Uint8Array([9]) },
    },
  };
}

/** A valid file whose header is followed by at least one padding byte (so padding damage can be tested). */
function sampleBytes(): Uint8Array {
  for (let k = 0; ; k++) {
    const bytes = encodeModel(sampleModel('x'.repeat(k)));
    const p = decodePreamble(bytes);
    if (p.dataOffset > 24 + p.headerByteLength) return bytes;
  }
}

function throwsFormat(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** Builds a file by hand (independently of the encoder) from header text and data bytes, with valid CRCs. */
function craft(headerText: string | Uint8Array, data: Uint8Array, version = 1): Uint8Array {
  const h = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  const dataOffset = Math.ceil((24 + h.length) / 64) * 64;
  const out = new Uint8Array(dataOffset + data.length);
  out.set(new TextEncoder().encode('GMMSEG\r\n'));
  const view = new DataView(out.buffer);
  view.setUint32(8, version, true);
  view.setUint32(12, h.length, true);
  view.setUint32(16, crc32(h), true);
  out.set(h, 24);
  out.set(data, dataOffset);
  return out;
}

/** Re-crafts a valid file after editing its JSON header (the data CRC is recomputed unless the edit sets it). */
function withHeader(edit: (h: Record<string, unknown>) => void): Uint8Array {
  const bytes = sampleBytes();
  const p = decodePreamble(bytes);
  const h = JSON.parse(JSON.stringify(decodeHeader(bytes))) as Record<string, unknown>;
  edit(h);
  return craft(JSON.stringify(h), bytes.subarray(p.dataOffset));
}

const tensorsOf = (h: Record<string, unknown>): Record<string, unknown>[] => h['tensors'] as Record<string, unknown>[];

test('the hand-crafted reference file decodes (the test helper agrees with the encoder)', () => {
  const bytes = sampleBytes();
  assert.deepStrictEqual(
    withHeader(() => undefined),
    bytes,
  );
});

test('not a gmmseg file: names JSON, PNG, gzip, ZIP, safetensors, text-mode damage, or shows the bytes', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const safetensors = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]);
  const good = sampleBytes();
  const lf = new Uint8Array([...good.subarray(0, 6), ...good.subarray(7)]);
  const crlf = new Uint8Array([...good.subarray(0, 6), 0x0d, ...good.subarray(6)]);
  const cases: [Uint8Array, RegExp][] = [
    [enc('{"config": {}}'), /not a gmmseg model file: it looks like JSON/],
    [enc('\n  [1, 2]'), /looks like JSON/],
    [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /looks like a PNG image/],
    [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), /gzip-compressed.*decompress/],
    [enc('PK\x03\x04rest of a zip'), /ZIP archive/],
    [safetensors, /safetensors/],
    [lf, /CR LF became LF \(a text-mode transfer\)/],
    [crlf, /LF became CR LF/],
    [enc('hello world, this is text'), /its first bytes are 68 65 6C 6C 6F 20 77 6F, expected 47 4D 4D 53 45 47 0D 0A/],
    [new Uint8Array([1]), /its first bytes are 01, expected/],
    [new Uint8Array(0), /empty \(0 bytes\)/],
  ];
  for (const [bytes, re] of cases) {
    throwsFormat(() => decodeModel(bytes), re);
    throwsFormat(() => decodeHeader(bytes), re);
  }
});

test('format version mismatch says which versions and how to fix it', () => {
  for (const v of [0, 2, 0xffffffff]) {
    const bytes = sampleBytes();
    new DataView(bytes.buffer).setUint32(8, v, true);
    const msg = `file has format version ${v}; this gmmseg reads version 1; re-export the model with a matching gmmseg version`;
    throwsFormat(() => decodeModel(bytes), new RegExp(`^${msg}$`));
  }
  const bytes = withHeader((h) => (h['formatVersion'] = 2));
  throwsFormat(() => decodeModel(bytes), /formatVersion is 2, the preamble says 1/);
});

test('truncated at any position (magic, preamble, header, padding, data) says how many bytes were expected', () => {
  const bytes = sampleBytes();
  const p = decodePreamble(bytes);
  const headerEnd = 24 + p.headerByteLength;
  const cuts = [
    1,
    5,
    7,
    8,
    11,
    12,
    20,
    23,
    24,
    25,
    headerEnd >> 1,
    headerEnd - 1,
    headerEnd,
    p.dataOffset - 1,
    p.dataOffset,
    p.dataOffset + 1,
    p.dataOffset + 40,
    bytes.length - 1,
  ];
  for (const cut of cuts) {
    const part = bytes.subarray(0, cut);
    throwsFormat(() => decodeModel(part), new RegExp(`^truncated: expected at least \\d+ bytes .*got ${cut}$`));
  }
  throwsFormat(
    () => decodeModel(bytes.subarray(0, headerEnd - 1)),
    new RegExp(`expected at least ${headerEnd} bytes \\(to hold the header\\)`),
  );
  throwsFormat(
    () => decodeModel(bytes.subarray(0, p.dataOffset)),
    new RegExp(`expected at least ${bytes.length} bytes \\(to hold the tensor data\\)`),
  );
  // The header alone is enough for decodeHeader (inspect), but not for decodeModel.
  assert.deepStrictEqual(decodeHeader(bytes.subarray(0, headerEnd)), decodeHeader(bytes));
});

test('trailing bytes after the data are rejected', () => {
  const bytes = sampleBytes();
  throwsFormat(
    () => decodeModel(new Uint8Array([...bytes, 0])),
    /corrupt: 1 unexpected bytes after the end of the data/,
  );
});

test('flipped bytes: header CRC, data CRC, padding, reserved flags, header length', () => {
  const bytes = sampleBytes();
  const p = decodePreamble(bytes);
  const flip = (at: number): Uint8Array => {
    const b = bytes.slice();
    b[at]! ^= 0x10;
    return b;
  };
  for (const at of [24, 30, 24 + p.headerByteLength - 1]) {
    throwsFormat(
      () => decodeModel(flip(at)),
      /^corrupt: header CRC mismatch \(stored 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}\)$/,
    );
    throwsFormat(() => decodeHeader(flip(at)), /header CRC mismatch/);
  }
  for (const at of [16, 19]) throwsFormat(() => decodeModel(flip(at)), /header CRC mismatch/);
  for (const at of [p.dataOffset, p.dataOffset + 70, bytes.length - 1]) {
    throwsFormat(() => decodeModel(flip(at)), /^corrupt: data CRC mismatch/);
  }
  throwsFormat(() => decodeModel(flip(p.dataOffset - 1)), /padding between header and data is not zero/);
  throwsFormat(() => decodeModel(flip(21)), /reserved flags are 0x00001000, expected 0/);
  throwsFormat(() => decodeModel(flip(12)), /header CRC mismatch|truncated/);
  throwsFormat(() => decodeModel(flip(15)), /truncated: expected at least \d+ bytes \(to hold the header\)/);
});

test('invalid header JSON or UTF-8 (with a valid CRC)', () => {
  throwsFormat(() => decodeModel(craft('{"formatVersion": 1,', new Uint8Array(0))), /^invalid header JSON: /);
  throwsFormat(
    () => decodeModel(craft(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), new Uint8Array(0))),
    /^invalid header JSON: /,
  );
  throwsFormat(() => decodeModel(craft('', new Uint8Array(0))), /^invalid header JSON: /);
  throwsFormat(() => decodeModel(craft('[1, 2]', new Uint8Array(0))), /JSON header is not an object/);
  throwsFormat(() => decodeModel(craft('null', new Uint8Array(0))), /JSON header is not an object/);
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  throwsFormat(() => decodeModel(craft(deep, new Uint8Array(0))), /JSON header is not an object|invalid header JSON/);
});

test('header fields: missing, unknown, or of the wrong type', () => {
  const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
    [(h) => delete h['classes'], /header lacks 'classes'/],
    [(h) => (h['extra'] = 1), /header has unknown key 'extra'/],
    [(h) => (h['classes'] = ['a', 2]), /'classes' is not an array of strings/],
    [(h) => (h['config'] = [1]), /'config' is not an object/],
    [(h) => (h['metrics'] = null), /'metrics' is not an object/],
    [(h) => (h['createdBy'] = 3), /'createdBy' is not a string/],
    [(h) => (h['tensors'] = {}), /'tensors' is not an array/],
    [(h) => (h['dataByteLength'] = -1), /dataByteLength is -1, expected a non-negative integer/],
    [(h) => (h['dataByteLength'] = 1.5), /dataByteLength is 1.5/],
    [(h) => (h['dataCrc32'] = 2 ** 32), /dataCrc32 exceeds 32 bits/],
    [(h) => (h['dataCrc32'] = '0'), /dataCrc32 is "0"/],
  ];
  for (const [edit, re] of cases) throwsFormat(() => decodeModel(withHeader(edit)), re);
});

test('tensor table problems: dtype, shape, byteLength, offsets, overlap, duplicates', () => {
  const at = (i: number, edit: (e: Record<string, unknown>) => void) => (h: Record<string, unknown>) =>
    edit(tensorsOf(h)[i]!);
  const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
    [
      at(0, (e) => (e['dtype'] = 'float64')),
      /tensor 'gmm.means' has unknown dtype "float64"; valid: float32, int32, uint8/,
    ],
    [at(0, (e) => (e['shape'] = [2, 2, 4])), /has shape \[2, 2, 4\] and dtype float32 \(64 bytes\) but byteLength 48/],
    [at(0, (e) => (e['byteLength'] = 44)), /but byteLength 44/],
    [at(0, (e) => (e['shape'] = [-2, -2, 3])), /dims must be non-negative integers/],
    [at(0, (e) => (e['shape'] = [2, 2, 3.0000001])), /dims must be non-negative integers/],
    [at(0, (e) => (e['shape'] = ['2', 2, 3])), /dims must be non-negative integers/],
    [at(0, (e) => (e['shape'] = 12)), /has shape 12/],
    [at(1, (e) => (e['offset'] = 4)), /tensor 'labels' has offset 4, not a multiple of 64/],
    [at(1, (e) => (e['offset'] = 6400)), /spans bytes 6400\.\.6412, beyond the data section/],
    [at(1, (e) => (e['offset'] = -64)), /offset is -64, expected a non-negative integer/],
    [at(1, (e) => (e['offset'] = 0)), /tensors 'gmm.means' and 'labels' overlap/],
    [at(1, (e) => (e['name'] = 'gmm.means')), /duplicate tensor name 'gmm.means'/],
    [at(1, (e) => (e['name'] = '')), /entry 1 has no name/],
    [at(1, (e) => (e['extra'] = true)), /tensor table entry 1 has unknown key 'extra'/],
    [at(1, (e) => delete e['byteLength']), /tensor table entry 1 lacks 'byteLength'/],
    [(h) => (tensorsOf(h)[2] = 'x' as unknown as Record<string, unknown>), /entry 2 is not an object/],
    [(h) => (h['dataByteLength'] = 64), /beyond the data section \(64 bytes\)/],
  ];
  for (const [edit, re] of cases)
    throwsFormat(() => decodeModel(withHeader(edit)), new RegExp(`^invalid (tensor table|header): .*${re.source}`));
  // The header length checks happen before the data is read.
  throwsFormat(
    () => decodeModel(withHeader((h) => (h['dataByteLength'] = 10 ** 15))),
    /truncated: expected at least \d+ bytes/,
  );
});

/** One random corruption: truncation, byte flips, an inserted or deleted byte, or a random preamble word. */
function corrupt(rng: Rng, bytes: Uint8Array): Uint8Array {
  const kind = randInt(rng, 5);
  if (kind === 0) return bytes.slice(0, randInt(rng, bytes.length));
  const b = bytes.slice();
  if (kind === 1) {
    for (let k = 1 + randInt(rng, 4); k > 0; k--) b[randInt(rng, b.length)]! ^= 1 + randInt(rng, 255);
    return b;
  }
  const at = randInt(rng, b.length);
  if (kind === 2) return new Uint8Array([...b.subarray(0, at), randInt(rng, 256), ...b.subarray(at)]);
  if (kind === 3) return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1)]);
  new DataView(b.buffer).setUint32(4 * randInt(rng, 6), Math.floor(uniform(rng) * 2 ** 32), true);
  return b;
}

test('fuzz: random corruptions only ever throw FormatError or decode to the identical model', () => {
  const rng = createRng(2024);
  const bytes = sampleBytes();
  const reference = decodeModel(bytes);
  let rejected = 0;
  for (let i = 0; i < 400; i++) {
    const bad = corrupt(rng, bytes);
    for (const decode of [decodeModel, decodeHeader] as const) {
      try {
        const out = decode(bad);
        if (decode === decodeModel) assert.deepStrictEqual(out, reference, `iteration ${i}`);
      } catch (e) {
        assert.ok(e instanceof FormatError, `iteration ${i}: ${String(e)}`);
        if (decode === decodeModel) rejected++;
      }
    }
  }
  assert.ok(rejected > 390, `only ${rejected} of 400 corruptions were detected`);
});

const NASTY = [-1, 0, 1, 3, 4, 63, 64, 65, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, -0, null, '1', [], {}, true];

test('fuzz: random header edits with a valid CRC only throw FormatError or decode consistently', () => {
  const rng = createRng(99);
  const pick = <T>(xs: readonly T[]): T => xs[randInt(rng, xs.length)] as T;
  let decoded = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = withHeader((h) => {
      for (let k = 1 + randInt(rng, 2); k > 0; k--) {
        const e = pick(tensorsOf(h));
        const field = pick(['offset', 'byteLength', 'shape', 'dtype', 'name', 'dataByteLength']);
        if (field === 'dataByteLength') h[field] = pick(NASTY);
        else if (field === 'shape') (e['shape'] as unknown[])[0] = pick(NASTY);
        else if (field === 'dtype') e[field] = pick(['float32', 'int32', 'uint8', 'float16', 3]);
        else if (field === 'name') e[field] = pick(['gmm.means', 'labels', '', 'new']);
        else e[field] = pick(NASTY);
      }
    });
    try {
      const m = decodeModel(bytes);
      decoded++;
      for (const t of Object.values(m.tensors) as NamedTensor[]) {
        assert.equal(
          t.data.length,
          t.shape.reduce((a, b) => a * b, 1),
        );
      }
      assert.ok(encodeModel(m).length > 0);
    } catch (e) {
      assert.ok(e instanceof FormatError, `iteration ${i}: ${String(e)}`);
    }
  }
  assert.ok(decoded < 300, 'every edit decoded: the fuzzer is not reaching the checks');
});

test('decodeHeader returns the header exactly as stored', () => {
  const bytes = sampleBytes();
  const h: ModelHeader = decodeHeader(bytes);
  assert.deepStrictEqual(h.classes, ['background', 'road']);
  assert.deepStrictEqual(
    h.tensors.map((t) => [t.name, t.dtype, t.shape]),
    [
      ['gmm.means', 'float32', [2, 2, 3]],
      ['labels', 'int32', [3]],
      ['empty', 'float32', [0, 4]],
      ['mask', 'uint8', []],
    ],
  );
});
