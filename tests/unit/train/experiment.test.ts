import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/engine.js';
import { ValueError } from '../../../src/errors.js';
import { createSegModel } from '../../../src/model/create-seg-model.js';
import { createRng } from '../../../src/random.js';
import { copyExtractor } from '../../../src/train/experiment.js';

await initEngine();

const classes = ['a', 'b', 'c'];
const unet = (width: number[]) => ({
  kind: 'unet',
  config: { embedDim: 6, width, contextDilations: [2], decoderWidth: [8, 8, 4] },
});

test('warm start: copyExtractor makes the new model compute the trained extractor’s features; shapes checked', async () => {
  const from = await createSegModel(
    { classes, extractor: unet([4, 8, 8, 16]), head: { kind: 'softmax' } },
    createRng(1),
  );
  const to = await createSegModel({ classes, extractor: unet([4, 8, 8, 16]), head: { kind: 'gmm' } }, createRng(2));
  // move a running statistic away from its initial value, as training does
  const key = Object.keys(from.extractor.state)[0] as string;
  const moved = tf.add(from.extractor.state[key] as tf.Tensor, 0.5);
  (from.extractor.state[key] as tf.Tensor).dispose();
  from.extractor.state[key] = moved;
  const images = tf.randomUniform([1, 32, 32, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
  const a = from.extractor.forward(images, { training: false });
  const before = to.extractor.forward(images, { training: false });
  assert.notDeepEqual(Array.from(before.dataSync()), Array.from(a.dataSync()));
  copyExtractor(from, to);
  const after = to.extractor.forward(images, { training: false });
  assert.deepEqual(Array.from(after.dataSync()), Array.from(a.dataSync()));
  assert.ok(to.extractor.params[Object.keys(to.extractor.params)[0] as string] instanceof tf.Variable);
  const other = await createSegModel({ classes, extractor: unet([4, 8, 8, 8]), head: { kind: 'gmm' } }, createRng(2));
  assert.throws(() => copyExtractor(from, other), ValueError);
  tf.dispose([images, a, before, after]);
});
