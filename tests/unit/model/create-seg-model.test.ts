import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/engine.js';
import { ValueError } from '../../../src/errors.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { primaryScore, type SegModel } from '../../../src/model/seg-model.js';
import { createRng } from '../../../src/random.js';

await initEngine();

const TINY = { embedDim: 8, width: [8, 8, 16, 16], asppChannels: 8, lowLevelChannels: 4, decoderChannels: 8 };
const classes = ['a', 'b'];

function values(m: SegModel): number[][] {
  const head =
    m.head.kind === 'gmm'
      ? [Array.from(m.head.state.gmm.means)]
      : Object.values(m.head.head.params).map((v) => Array.from(v.dataSync()));
  return [...Object.values(m.extractor.params).map((v) => Array.from(v.dataSync())), ...head];
}

test('createSegModel: a GMM head sized from the classes and the extractor; one seed fixes the model', async () => {
  const spec = {
    classes,
    extractor: { kind: 'deeplab', config: TINY },
    head: { kind: 'gmm' as const, gmm: { componentsPerClass: 3 } },
  };
  const a = await createSegModel(spec, createRng(4));
  const b = await createSegModel(spec, createRng(4));
  assert.equal(a.head.kind, 'gmm');
  if (a.head.kind === 'gmm')
    assert.deepEqual(
      [a.head.state.config.classes, a.head.state.config.componentsPerClass, a.head.state.config.embedDim],
      [2, 3, 8],
    );
  assert.deepEqual(values(a), values(b));
  assert.deepEqual(a.classes, classes);
  assert.equal(primaryScore(a.head.kind), 'gmm');
});

test('createSegModel: a softmax head; bad settings are ValueErrors naming the key', async () => {
  const m = await createSegModel(
    { classes, extractor: { kind: 'deeplab', config: TINY }, head: { kind: 'softmax' } },
    createRng(1),
  );
  assert.deepEqual(m.head.kind === 'softmax' && m.head.head.config, { embedDim: 8, classes: 2 });
  assert.equal(primaryScore(m.head.kind), 'msp');
  await assert.rejects(
    createSegModel(
      { classes, extractor: { kind: 'deeplab', config: { ...TINY, width: [8] } }, head: { kind: 'softmax' } },
      createRng(1),
    ),
    (e: Error) => e instanceof ValueError && /invalid deeplab extractor config: 'width'/.test(e.message),
  );
  await assert.rejects(
    createSegModel(
      { classes, extractor: { kind: 'deeplab', config: TINY }, head: { kind: 'gmm', gmm: { meanMomentum: 2 } } },
      createRng(1),
    ),
    /invalid GMM config: 'meanMomentum'/,
  );
  await assert.rejects(
    createSegModel({ classes, extractor: { kind: 'resnet' }, head: { kind: 'softmax' } }, createRng(1)),
    /unknown extractor 'resnet'; valid: mbv3, mbv2, deeplab, segformer/,
  );
});
