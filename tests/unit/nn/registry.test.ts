import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/engine.js';
import { deeplabConfigSchema } from '../../../src/nn/deeplab.js';
import { EXTRACTOR_FAMILIES, extractorFamily, extractorSettings } from '../../../src/nn/registry.js';
import { createRng } from '../../../src/random.js';

await initEngine();

test('registry: one family per extractor kind, defaults from each schema, strict settings', () => {
  assert.deepEqual(Object.keys(EXTRACTOR_FAMILIES), ['mbv3', 'mbv2', 'deeplab', 'segformer', 'unet']);
  assert.deepEqual(EXTRACTOR_FAMILIES['mbv3']?.defaults, {
    embedDim: 64,
    channels: 128,
    dropout: 0.1,
    scales: ['s8', 's32'],
    backboneMode: 'frozen',
    projectionActivation: 'relu',
    decoder: 'light',
  });
  const { backboneMode: _mode, ...mbv2Defaults } = EXTRACTOR_FAMILIES['mbv3']?.defaults ?? {};
  assert.deepEqual(EXTRACTOR_FAMILIES['mbv2']?.defaults, mbv2Defaults);
  assert.deepEqual(extractorFamily('deeplab').defaults, deeplabConfigSchema.parse({}));
  assert.equal(extractorSettings('segformer', { channels: 32 }).channels, 32);
  assert.throws(
    () => extractorSettings('mbv3', { width: [1, 2, 3, 4] }),
    /invalid mbv3 extractor config: unknown key\(s\) 'width'/,
  );
  assert.throws(() => extractorFamily('vgg'), /unknown extractor 'vgg'; valid: mbv3, mbv2, deeplab, segformer, unet/);
});

test('registry: create then load through the same family gives the same network', async () => {
  const f = extractorFamily('segformer');
  const tiny = { ...f.defaults, embedDim: 8, dims: [8, 8, 16, 16], heads: [1, 1, 2, 2], channels: 8 };
  const ex = await f.create(extractorSettings('segformer', tiny), createRng(3));
  const again = await f.load(ex.config, { ...ex.params, ...ex.state });
  for (const [k, v] of Object.entries(ex.params))
    assert.deepEqual(Array.from(again.params[k]!.dataSync()), Array.from(v.dataSync()), k);
  ex.dispose();
  again.dispose();
});
