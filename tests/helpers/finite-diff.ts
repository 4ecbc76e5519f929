import * as tf from '@tensorflow/tfjs';

/** Central difference (f(p + h·e_idx) − f(p − h·e_idx)) / 2h of a scalar loss w.r.t. one entry of a variable; restores it. */
export function centralDifference(p: tf.Variable, idx: number, loss: () => tf.Scalar, h = 1e-2): number {
  const orig = p.dataSync().slice() as Float32Array;
  const at = (delta: number): number => {
    const v = orig.slice();
    v[idx] = (v[idx] as number) + delta;
    tf.tidy(() => p.assign(tf.tensor(v, p.shape)));
    return tf.tidy(() => loss().dataSync()[0] as number);
  };
  const fd = (at(h) - at(-h)) / (2 * h);
  tf.tidy(() => p.assign(tf.tensor(orig, p.shape)));
  return fd;
}
