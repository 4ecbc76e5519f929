/**
 * Fuzzing the `.gmmseg` codec and model loading (issue 13, "keep them fixed"): any bytes give a decoded model or a
 * FormatError — never another exception or a hang. Random edits of a whole file mostly stop at a CRC, so the header is
 * also edited as JSON and re-sealed (CRC and length recomputed), which reaches the header validation, the typed
 * sections and the model loader. Valid random models round-trip exactly.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError } from '../../../src/errors.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { crc32 } from '../../../src/model/crc32.js';
import { alignUp, decodeHeader, decodeModel, encodeModel, PREAMBLE_BYTE_LENGTH } from '../../../src/model/format.js';
import type { ModelFile, NamedTensor } from '../../../src/model/model-types.js';
import { segModelFromFile, segModelToFile } from '../../../src/model/seg-model-file.js';
import { createRng } from '../../../src/random.js';
import { assertTyped, fuzzParams, hostileBytes, typedOrResult, typedOrResultAsync } from '../../helpers/fuzz.js';

await initEngine();

const small: ModelFile = {
  config: { componentsPerClass: 2, note: 'x' },
  classes: ['background', 'road'],
  preprocessing: { mean: [0.5, 0.25, 0.125] },
  metrics: {},
  calibration: {},
  tensors: {
    'gmm.means': { dtype: 'float32', shape: [2, 2, 3], data: new Float32Array(12).map((_, i) => i / 7) },
    counts: { dtype: 'int32', shape: [2, 2], data: new Int32Array([1, -2, 3, 4]) },
    mask: { dtype: 'uint8', shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
  },
};

/** Reassembles a file from a header JSON text and a data section, with a correct preamble (length and CRC). */
function seal(headerText: string, data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const dataOffset = alignUp(PREAMBLE_BYTE_LENGTH + header.length);
  const out = new Uint8Array(dataOffset + data.length);
  out.set([0x47, 0x4d, 0x4d, 0x53, 0x45, 0x47, 0x0d, 0x0a]);
  const view = new DataView(out.buffer);
  view.setUint32(8, 1, true);
  view.setUint32(12, header.length, true);
  view.setUint32(16, crc32(header), true);
  out.set(header, PREAMBLE_BYTE_LENGTH);
  out.set(data, dataOffset);
  return out;
}

/** The header JSON and the data section of a valid file. */
function split(bytes: Uint8Array): { json: Record<string, unknown>; data: Uint8Array } {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const text = new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTE_LENGTH, PREAMBLE_BYTE_LENGTH + len));
  return {
    json: JSON.parse(text) as Record<string, unknown>,
    data: bytes.subarray(alignUp(PREAMBLE_BYTE_LENGTH + len)),
  };
}

/** A JSON value put at a random path of `json` (objects and arrays walked by random keys), or the path deleted. */
function editJson(json: unknown, path: number[], value: unknown, del: boolean): unknown {
  if (path.length === 0 || json === null || typeof json !== 'object') return del ? undefined : value;
  const keys = Object.keys(json);
  if (keys.length === 0) return json;
  const key = keys[(path[0] as number) % keys.length] as string;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(json) ? [...json] : { ...json };
  const child = editJson((json as Record<string, unknown>)[key], path.slice(1), value, del);
  if (child === undefined && !Array.isArray(copy)) delete copy[key];
  else (copy as Record<string, unknown>)[key] = child;
  return copy;
}

/** Header edits: a random path (by index) set to a random JSON value or deleted, 1–3 times. */
const jsonEdits = fc.array(
  fc.record({
    path: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 32, 1e300, -0.5, '', 'float64', 'gmm', 'softmax', [], {}, null),
    ),
    del: fc.boolean(),
  }),
  { minLength: 1, maxLength: 3 },
);

function applyEdits(json: Record<string, unknown>, edits: { path: number[]; value: unknown; del: boolean }[]): unknown {
  return edits.reduce<unknown>((j, e) => editJson(j, e.path, e.value, e.del), json);
}

test('decodeModel / decodeHeader: any edit of a file gives a model or a FormatError', { timeout: 60_000 }, () => {
  const valid = encodeModel(small);
  fc.assert(
    fc.property(hostileBytes([valid]), (bytes) => {
      for (const decode of [decodeModel, decodeHeader]) {
        try {
          decode(bytes);
        } catch (e) {
          assert.ok(e instanceof FormatError, `${decode.name} threw ${String(e)}`);
        }
      }
    }),
    fuzzParams(0x1301, 3000),
  );
});

test('re-sealed header edits reach the header validation: a model or a FormatError', { timeout: 60_000 }, () => {
  const { json, data } = split(encodeModel(small));
  fc.assert(
    fc.property(jsonEdits, (edits) => {
      const bytes = seal(JSON.stringify(applyEdits(json, edits)) ?? 'null', data);
      const out = typedOrResult(() => decodeModel(bytes));
      if (out) assert.equal(out.classes.length, (decodeHeader(bytes).classes as string[]).length);
    }),
    fuzzParams(0x1302, 1500),
  );
});

test(
  'loading a model whose header was edited and re-sealed: a model or a typed error',
  { timeout: 120_000 },
  async () => {
    const model = await createSegModel(
      {
        classes: ['a', 'b'],
        extractor: {
          kind: 'deeplab',
          config: { embedDim: 8, width: [8, 8, 16, 16], asppChannels: 8, lowLevelChannels: 4, decoderChannels: 8 },
        },
        head: { kind: 'gmm', gmm: { componentsPerClass: 2, memoryPerComponent: 8 } },
      },
      createRng(1),
    );
    const bytes = encodeModel(
      segModelToFile(model, {
        calibration: { score: 'gmm', threshold: -1, inlierMedian: -2, targetTpr: 0.95, dataset: 'v' },
      }),
    );
    const { json, data } = split(bytes);
    const sectionEdits = jsonEdits.map((edits) =>
      edits.map((e) => ({ ...e, path: [[1, 2, 3, 4, 5][(e.path[0] as number) % 5] as number, ...e.path.slice(1)] })),
    );
    const keys = Object.keys(json);
    assert.deepEqual(
      keys.slice(1, 6),
      ['config', 'classes', 'preprocessing', 'metrics', 'calibration'],
      'edit paths aim at the sections',
    );
    await fc.assert(
      fc.asyncProperty(sectionEdits, async (edits) => {
        const file = typedOrResult(() => decodeModel(seal(JSON.stringify(applyEdits(json, edits)), data)));
        if (!file) return;
        const loaded = await typedOrResultAsync(() => segModelFromFile(file));
        if (loaded) assert.equal(loaded.model.classes.length, file.classes.length);
      }),
      fuzzParams(0x1303, 300),
    );
  },
);

const dtypeTensor: fc.Arbitrary<NamedTensor> = fc
  .tuple(
    fc.constantFrom('float32', 'int32', 'uint8') as fc.Arbitrary<NamedTensor['dtype']>,
    fc.array(fc.nat(4), { maxLength: 3 }),
  )
  .chain(([dtype, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values =
      dtype === 'float32'
        ? fc.float32Array({ minLength: n, maxLength: n, noNaN: true })
        : dtype === 'int32'
          ? fc.int32Array({ minLength: n, maxLength: n })
          : fc.uint8Array({ minLength: n, maxLength: n });
    return values.map((data) => ({ dtype, shape, data }) as NamedTensor);
  });

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

test('random valid models round-trip exactly through encode/decode', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(
      fc.record({
        config: jsonObject,
        classes: fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }),
        preprocessing: jsonObject,
        metrics: jsonObject,
        calibration: jsonObject,
        tensors: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), dtypeTensor, { maxKeys: 4 }),
      }),
      (m) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeModel(m as ModelFile);
        } catch (e) {
          assertTyped(e); // e.g. -0 or a key the writer refuses: a typed error, never a crash
          return;
        }
        const back = decodeModel(bytes);
        assert.deepEqual(back.classes, m.classes);
        assert.deepEqual(back.config, JSON.parse(JSON.stringify(m.config)));
        assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(m.tensors).sort());
        for (const [k, t] of Object.entries(m.tensors)) {
          assert.deepEqual(back.tensors[k]?.shape, t.shape);
          assert.deepEqual(Array.from(back.tensors[k]?.data ?? []), Array.from(t.data));
        }
      },
    ),
    fuzzParams(0x1304, 500),
  );
});
