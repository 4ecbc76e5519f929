/**
 * A correct `ResizeBilinearGrad` for the cpu and wasm backends. tfjs 4.22's own kernels ignore `halfPixelCenters`
 * (they always use the align-corners-false, no-half-pixel mapping), so the gradient of
 * `tf.image.resizeBilinear(x, size, false, true)` — PyTorch's `align_corners=False` — is wrong there. This kernel is
 * the exact adjoint of the cpu backend's forward interpolation: every output pixel scatters its upstream gradient to
 * the (up to) four source pixels with the forward weights. Plain JS loops over float32 data read from the backend.
 */
import type * as tf from '@tensorflow/tfjs';

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Source index pair and fraction for output index `o` (forward mapping of the cpu backend). */
function source(o: number, inSize: number, outSize: number, a: ResizeAttrs): [number, number, number] {
  const effIn = a.alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = a.alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const f = a.halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
  const lo = Math.max(0, Math.floor(f));
  return [lo, Math.min(inSize - 1, Math.ceil(f)), f - lo];
}

/** dx [B, H, W, C] from dy [B, h, w, C]. */
export function resizeBilinearBackward(
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  imageShape: readonly number[],
  a: ResizeAttrs,
): Float32Array {
  const [B, h, w, C] = dyShape as [number, number, number, number];
  const [, H, W] = imageShape as [number, number, number, number];
  const dx = new Float64Array(B * H * W * C);
  const cols = Array.from({ length: w }, (_, x) => source(x, W, w, a));
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < h; y++) {
      const [top, bot, fy] = source(y, H, h, a);
      for (let x = 0; x < w; x++) {
        const [left, right, fx] = cols[x] as [number, number, number];
        const weights: [number, number, number][] = [
          [top, left, (1 - fy) * (1 - fx)],
          [top, right, (1 - fy) * fx],
          [bot, left, fy * (1 - fx)],
          [bot, right, fy * fx],
        ];
        const src = ((b * h + y) * w + x) * C;
        for (const [r, c, wt] of weights) {
          if (wt === 0) continue;
          const dst = ((b * H + r) * W + c) * C;
          for (let k = 0; k < C; k++) dx[dst + k] = (dx[dst + k] as number) + wt * (dy[src + k] as number);
        }
      }
    }
  }
  return Float32Array.from(dx);
}

interface DataBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  write(values: Float32Array, shape: number[], dtype: string): unknown;
}

/** The kernel config for one backend. */
export function resizeBilinearGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'ResizeBilinearGrad',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { images, dy } = inputs as unknown as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const be = backend as unknown as DataBackend;
      const out = resizeBilinearBackward(
        be.readSync(dy.dataId),
        dy.shape,
        images.shape,
        attrs as unknown as ResizeAttrs,
      );
      const shape = [...images.shape];
      return { dataId: be.write(out, shape, 'float32'), shape, dtype: 'float32' } as tf.TensorInfo;
    },
  };
}
