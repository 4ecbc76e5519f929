/**
 * The gradients of Sum and Mean without a tensor of ones. tfjs's own (tfjs-core `gradients/Sum_grad`, `Mean_grad`)
 * multiply the reshaped dy by `ones(x.shape)`, which tfjs fills as a JavaScript array and copies into the backend for
 * every reduction on the tape: on the native engine that was ≈ 48 ms of main-thread work per CamVid training step
 * (a loss over 4 × 352×480 pixels reduces maps of millions of values). Here dy is broadcast to x's shape instead
 * (the backend's Tile): the same values — dy · 1 = dy and (dy · 1) / n = dy / n in float32 — with no array.
 * {@link registerReduceGradients} installs them for every backend (tfjs keeps one gradient registry per kernel name).
 */
import * as tf from '@tensorflow/tfjs';

/** dy reshaped to x's rank (1 on the reduced axes) and broadcast to x's shape, float32 (as `ones` made it). */
function broadcastDy(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return tf.broadcastTo(tf.cast(tf.reshape(dy, shape), 'float32'), x.shape);
}

/** Sum's gradient: dy broadcast over the summed axes. */
export const sumGradConfig: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const derX = broadcastDy(dy as tf.Tensor, x, (attrs as unknown as tf.SumAttrs).axis);
    return { x: () => derX };
  },
};

/** Mean's gradient: dy broadcast over the averaged axes, divided by their size. */
export const meanGradConfig: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const size = tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * (x.shape[a] as number), 1);
    return { x: () => tf.div(broadcastDy(dy as tf.Tensor, x, axis), size) };
  },
};

/** Installs both gradients (idempotent). */
export function registerReduceGradients(): void {
  tf.registerGradient(sumGradConfig);
  tf.registerGradient(meanGradConfig);
}
