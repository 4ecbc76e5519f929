/**
 * The bench segmentation network of `bench:train` and `bench:dist` (NHWC, batch 4 × 256 × 256 × 3, random inputs and
 * labels from `rng`): four encoder stages of [3×3 conv stride 2 + ReLU, 3×3 conv + ReLU] with 32/64/128/256 channels,
 * a decoder (1×1 laterals from strides 16 and 4, bilinear ×4, 3×3 conv 64, 1×1 conv to 19 classes at 64 × 64) and the
 * softmax cross-entropy loss. All convs have biases.
 */
import * as tf from '@tensorflow/tfjs';
import { normal, randInt, type Rng } from '../src/random.js';

interface Conv {
  w: tf.Variable;
  b: tf.Variable;
}

/** He-normal conv kernel [k, k, cin, cout] and a zero bias. */
function conv(rng: Rng, k: number, cin: number, cout: number): Conv {
  const scale = Math.sqrt(2 / (k * k * cin));
  const values = Float32Array.from({ length: k * k * cin * cout }, () => normal(rng) * scale);
  return { w: tf.variable(tf.tensor4d(values, [k, k, cin, cout])), b: tf.variable(tf.zeros([cout])) };
}

function apply(c: Conv, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  return tf.add(tf.conv2d(x, c.w as tf.Tensor4D, stride, 'same'), c.b) as tf.Tensor4D;
}

/** The network's variables, its loss closure on the fixed random batch, and the batch geometry. */
export function createBenchNet(rng: Rng): {
  loss: () => tf.Scalar;
  variables: tf.Variable[];
  BATCH: number;
  SIZE: number;
} {
  const [BATCH, SIZE, CLASSES, DECODER, LABEL_SIZE] = [4, 256, 19, 64, 64];
  const STAGES = [32, 64, 128, 256];
  const encoder = STAGES.map(
    (ch, i) => [conv(rng, 3, i === 0 ? 3 : STAGES[i - 1]!, ch), conv(rng, 3, ch, ch)] as const,
  );
  const lateral16 = conv(rng, 1, STAGES[3]!, DECODER);
  const lateral4 = conv(rng, 1, STAGES[1]!, DECODER);
  const fuse = conv(rng, 3, DECODER, DECODER);
  const classifier = conv(rng, 1, DECODER, CLASSES);
  const x = tf.tensor4d(
    Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => normal(rng)),
    [BATCH, SIZE, SIZE, 3],
  );
  const labels = tf.tidy(() => {
    const ids = Int32Array.from({ length: BATCH * LABEL_SIZE * LABEL_SIZE }, () => randInt(rng, CLASSES));
    return tf.oneHot(tf.tensor1d(ids, 'int32'), CLASSES);
  });
  const loss = (): tf.Scalar => {
    const feats: tf.Tensor4D[] = [];
    let h: tf.Tensor4D = x;
    for (const [down, same] of encoder) {
      h = tf.relu(apply(down, h, 2));
      h = tf.relu(apply(same, h));
      feats.push(h);
    }
    const top = tf.image.resizeBilinear(apply(lateral16, feats[3]!), [LABEL_SIZE, LABEL_SIZE], false, true);
    let d = tf.relu(tf.add(top, apply(lateral4, feats[1]!)) as tf.Tensor4D);
    d = tf.relu(apply(fuse, d));
    const logits = tf.reshape(apply(classifier, d), [-1, CLASSES]);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  const variables = [...encoder.flat(), lateral16, lateral4, fuse, classifier].flatMap((c) => [c.w, c.b]);
  return { loss, variables, BATCH, SIZE };
}
