import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractorOverrides, givenExtractorFlags } from '../../../src/cli/extractor-flags.js';
import { trainCommand } from '../../../src/cli/train.js';
import { runCli as run } from '../../helpers/cli.js';

const out = path.join(tmpdir(), 'gmmseg-never', 'x.gmmseg');

test('train: extractor settings are flags generated from the registry (with the families that have them)', () => {
  const help = trainCommand().helpInformation().replace(/\s+/g, ' ');
  assert.match(help, /--channels <value> mbv3\/mbv2\/segformer extractor config 'channels' \(default: 128\)/);
  assert.match(
    help,
    /--width <value> deeplab\/unet extractor config 'width' \(default: deeplab \[32,64,128,256\], unet \[16,32,64,128\]\)/,
  );
  assert.doesNotMatch(help, /--scales/);
  assert.equal(help.match(/--embed-dim/g)?.length, 1, '--embed-dim stays the GMM flag');
});

test('train: an extractor flag the chosen family lacks is one clear error line', async () => {
  const r = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--extractor',
    'deeplab',
    '--channels',
    '64',
    '--out',
    out,
    '--steps',
    '1',
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    "gmmseg train: --channels is a setting of the mbv3/mbv2/segformer extractor, not of 'deeplab'; deeplab settings: --width, --aspp-channels, --rates, --low-level-channels, --decoder-channels, --dropout\n",
  );
  const bad = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--channels',
    '0',
    '--out',
    out,
    '--steps',
    '1',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^gmmseg train: invalid mbv3 extractor config: 'channels'/);
  const unknown = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--extractor',
    'vgg',
    '--out',
    out,
    '--steps',
    '1',
  ]);
  assert.match(unknown.err, /^gmmseg train: unknown extractor 'vgg'; valid: mbv3, mbv2, deeplab, segformer, unet\n$/);
});

test('train: --head and number flags are checked by the option table before the engine starts', async () => {
  const base = ['train', '--dataset', 'digit-scenes', '--out', out];
  const head = await run(trainCommand, [...base, '--head', 'svm']);
  assert.deepEqual(head, { out: '', err: "gmmseg train: --head must be one of gmm, softmax, got 'svm'\n", code: 1 });
  const steps = await run(trainCommand, [...base, '--steps', 'many']);
  assert.deepEqual(steps, { out: '', err: "gmmseg train: --steps must be a number, got 'many'\n", code: 1 });
  const width = await run(trainCommand, [...base, '--extractor', 'deeplab', '--width', '1,2']);
  assert.equal(width.err, "gmmseg train: --width must be 4 numbers separated by commas, got '1,2'\n");
});

/** `gmmseg train` on digit-scenes with `flags` exits 1 with one error line matching `pattern`. */
async function expectOneLineError(flags: string[], pattern: RegExp): Promise<void> {
  const r = await run(trainCommand, ['train', '--dataset', 'digit-scenes', ...flags, '--out', out, '--steps', '1']);
  assert.equal(r.code, 1);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n.+\n/, 'one line');
}

test('train: enum extractor settings are flags too; a bad value names the setting', async () => {
  const help = trainCommand().helpInformation().replace(/\s+/g, ' ');
  assert.match(help, /--backbone-mode <value> mbv3 extractor config 'backboneMode' \(default: "frozen"\)/);
  assert.match(
    help,
    /--projection-activation <value> mbv3\/mbv2\/unet extractor config 'projectionActivation' \(default: mbv3 "relu", mbv2 "relu", unet "none"\)/,
  );
  await expectOneLineError(['--projection-activation', 'gelu'], /^gmmseg train: .*projectionActivation.*\n$/);
});

test('train: --backbone-scales sets the mbv3/mbv2 backbone maps (a name list); a bad name is one clear line', async () => {
  const help = trainCommand().helpInformation().replace(/\s+/g, ' ');
  assert.match(help, /--backbone-scales <value> mbv3\/mbv2 extractor config 'scales' \(default: \["s8","s32"\]\)/);
  assert.deepEqual(givenExtractorFlags({ backboneScales: 's4, s8,s32' }), { scales: ['s4', 's8', 's32'] });
  assert.deepEqual(extractorOverrides({ backboneScales: 's4,s8,s32' }, 'mbv3'), { scales: ['s4', 's8', 's32'] });
  assert.throws(
    () => extractorOverrides({ backboneScales: 's8,s32' }, 'unet'),
    /^ValueError: --backbone-scales is a setting of the mbv3\/mbv2 extractor, not of 'unet'/,
  );
  await expectOneLineError(['--backbone-scales', 's2,s8'], /^gmmseg train: --backbone-scales: .*'s2'.*\n$/);
});

const CAMVID = path.resolve('..', 'shared', 'data', 'camvid');
test(
  'train/eval --held-out reaches the camvid-heldout dataset: an unknown class is one clear error line',
  { skip: existsSync(CAMVID) ? false : `no CamVid at ${CAMVID}` },
  async () => {
    const args = ['--dataset', 'camvid-heldout', '--root', CAMVID, '--held-out', 'Pedestrian,Kangaroo'];
    const r = await run(trainCommand, ['train', ...args, '--out', out, '--steps', '1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^gmmseg train: .*unknown class 'Kangaroo'; known classes: Sky, .*Bicyclist\n$/);
  },
);

test('--held-out with another dataset is an error, not silently ignored', async () => {
  const r = await run(trainCommand, [
    'train',
    '--dataset',
    'digit-scenes',
    '--held-out',
    'a',
    '--out',
    out,
    '--steps',
    '1',
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.err, "gmmseg train: --held-out applies to camvid-heldout, not 'digit-scenes'\n");
});
