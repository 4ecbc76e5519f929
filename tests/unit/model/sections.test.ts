import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/engine.js';
import { FormatError, ValueError } from '../../../src/errors.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { decodeModel, encodeModel } from '../../../src/model/format.js';
import type { ModelFile } from '../../../src/model/model-types.js';
import { modelSections, segModelFromFile, segModelToFile } from '../../../src/model/seg-model-file.js';
import { fromFlatLayout, parseModelConfig } from '../../../src/model/sections.js';
import type { SegModel } from '../../../src/model/seg-model.js';
import { createRng } from '../../../src/random.js';

await initEngine();

const TINY = { embedDim: 8, width: [8, 8, 16, 16], asppChannels: 8, lowLevelChannels: 4, decoderChannels: 8 };
const classes = ['a', 'b', 'c'];
const calibration = { score: 'gmm' as const, threshold: -20, inlierMedian: -26, targetTpr: 0.95, dataset: 'val' };
const train = { steps: 3, batchSize: 2 };

async function gmmModel(): Promise<SegModel> {
  return createSegModel(
    {
      classes,
      extractor: { kind: 'deeplab', config: TINY },
      head: { kind: 'gmm', gmm: { componentsPerClass: 2, memoryPerComponent: 8 } },
    },
    createRng(1),
  );
}

/** The flat config the previous writer produced: headKind, extractorKind, head keys, extractor.<k>, train.<k>. */
function previousLayout(file: ModelFile): ModelFile {
  const c = file.config as {
    head: { kind: string; config: Record<string, unknown> };
    extractor: { kind: string; config: Record<string, unknown> };
    train?: Record<string, unknown>;
  };
  const flat: Record<string, unknown> = { headKind: c.head.kind, extractorKind: c.extractor.kind };
  for (const [k, v] of Object.entries(c.extractor.config)) flat[`extractor.${k}`] = v;
  for (const [k, v] of Object.entries(c.train ?? {})) flat[`train.${k}`] = v;
  Object.assign(flat, c.head.config);
  return { ...file, config: flat };
}

function weights(m: SegModel): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.extractor.params).map(([k, v]) => [k, Array.from(v.dataSync())]));
}

test('the writer stores a nested {head, extractor, train} config and typed calibration/preprocessing', async () => {
  const model = await gmmModel();
  const file = decodeModel(encodeModel(segModelToFile(model, { train, calibration })));
  const s = modelSections(file);
  assert.equal(s.config.head.kind, 'gmm');
  assert.equal(s.config.head.config.classes, 3);
  assert.deepEqual(s.config.extractor, { kind: 'deeplab', config: model.extractor.config });
  assert.deepEqual(s.config.train, train);
  assert.deepEqual(s.calibration, calibration);
  assert.deepEqual(s.preprocessing, { input: 'RGB uint8 0..255, NHWC', sizeMultiple: 16, stride: 4 });
  assert.throws(() => segModelToFile(model, { calibration: { ...calibration, targetTpr: 2 } }), ValueError);
});

test('files of the previous flat layout load and convert (older demo calibration with heatScale too)', async () => {
  const model = await gmmModel();
  const file = decodeModel(encodeModel(segModelToFile(model, { train: { ...train, gmm: { componentsPerClass: 2 } } })));
  const old = previousLayout(file);
  old.calibration = { ...calibration, heatScale: { min: -26, max: -14 } };
  delete old.calibration['dataset'];
  old.preprocessing = { input: 'RGB uint8 0..255, NHWC', sizeMultiple: 16 };
  const back = decodeModel(encodeModel(old));
  assert.ok('headKind' in back.config);
  const loaded = await segModelFromFile(back);
  assert.deepEqual(loaded.sections.config, { ...parseModelConfig(file.config), train });
  assert.deepEqual(loaded.train, train, "the demo's stored gmm overrides are dropped from the training config");
  assert.equal(loaded.sections.calibration?.threshold, -20);
  assert.deepEqual(weights(loaded.model), weights(model));
  assert.deepEqual(
    loaded.model.head.kind === 'gmm' && loaded.model.head.state.config,
    model.head.kind === 'gmm' && model.head.state.config,
  );
});

test('a softmax model in the previous layout loads too', async () => {
  const model = await createSegModel(
    { classes, extractor: { kind: 'deeplab', config: TINY }, head: { kind: 'softmax' } },
    createRng(2),
  );
  const old = previousLayout(segModelToFile(model));
  assert.deepEqual(fromFlatLayout(old.config).head, { kind: 'softmax', config: { embedDim: 8, classes: 3 } });
  const loaded = await segModelFromFile(decodeModel(encodeModel(old)));
  assert.equal(loaded.model.head.kind, 'softmax');
  assert.deepEqual(weights(loaded.model), weights(model));
});

test('invalid sections are FormatErrors naming the section and key', async () => {
  const file = segModelToFile(await gmmModel());
  const head = (file.config as { head: { config: Record<string, unknown> } }).head;
  await assert.rejects(
    segModelFromFile({ ...file, config: { ...file.config, head: { ...head, kind: 'svm' } } }),
    (e: Error) => e instanceof FormatError && /invalid model config: 'head.kind'/.test(e.message),
  );
  await assert.rejects(
    segModelFromFile({
      ...file,
      config: { ...file.config, head: { kind: 'gmm', config: { ...head.config, componentsPerClass: 0 } } },
    }),
    /invalid model config: 'head.config.componentsPerClass'/,
  );
  await assert.rejects(
    segModelFromFile({ ...file, config: { ...file.config, extra: 1 } }),
    /invalid model config: unknown key\(s\) 'extra'/,
  );
  await assert.rejects(
    segModelFromFile({ ...file, calibration: { score: 'nope', threshold: 1 } }),
    /invalid model calibration: 'score'/,
  );
  await assert.rejects(
    segModelFromFile({ ...file, preprocessing: { input: 'RGB', sizeMultiple: -1 } }),
    /invalid model preprocessing: 'sizeMultiple'/,
  );
  await assert.rejects(
    segModelFromFile({ ...file, config: { ...file.config, extractor: { kind: 'vit', config: {} } } }),
    /extractor 'vit', which this build cannot load; known: mbv3, mbv2, deeplab, segformer/,
  );
});

test('test-time views are stored in preprocessing (not when they are the single scale-1 view) and read back', async () => {
  const model = await gmmModel();
  const views = { scales: [1, 1.5], flip: true };
  const stored = decodeModel(encodeModel(segModelToFile(model, { views })));
  assert.deepEqual(modelSections(stored).preprocessing?.views, views);
  const plain = segModelToFile(model, { views: { scales: [1], flip: false } });
  assert.equal('views' in plain.preprocessing, false);
  const bad = { ...plain, preprocessing: { ...plain.preprocessing, views: { scales: [0], flip: false } } };
  assert.throws(
    () => modelSections(bad),
    (e: unknown) => e instanceof FormatError && /views/.test(String(e)),
  );
});
