/**
 * The `PixelScores` kernel for the engines without a native one (wasm, cpu, browser backends): the per-pixel outputs
 * of prediction in one JavaScript pass over a band's maps, read and written in place on the wasm heap (through
 * readSync/write elsewhere). native/src/ops_pixel.cc is the same loop in C++ and also fuses the column upsampling;
 * here the caller (engine/pixel-scores.ts) has the backend resize the columns first (a JavaScript interpolation loop
 * measured slower than wasm's resize), so the maps arrive at their output width. Per pixel of logits [R, W, C] (and
 * class log-likelihoods): the first argmax, −max logit, energy −(m + log s) and −max softmax −1/s with
 * s = Σ_c exp(l_c − m) accumulated in float64, and −max log-likelihood. A NaN in a pixel's values makes its scores
 * NaN and its class the first NaN's index.
 */
import type * as tf from '@tensorflow/tfjs';

/** Name of the kernel (not a tfjs kernel: gmmseg's own). */
export const PIXEL_SCORES = 'PixelScores';

/** The outputs of {@link pixelScoreValues}, each of n values. */
export interface PixelScoreValues {
  classes: Int32Array;
  maxLogit: Float32Array;
  energy: Float32Array;
  msp: Float32Array;
  gmm?: Float32Array;
}

/** 2^k for k = −64..0. */
const POW2 = Float64Array.from({ length: 65 }, (_, i) => 2 ** (i - 64));

/**
 * exp(x) for x ≤ 0 (NaN for NaN): 2^k·e^r with k = round(x·log2 e) (as an int32 truncation of x·log2 e − ½),
 * |r| ≤ ln2/2 and e^r by its degree-7 Taylor polynomial (relative error < 6e−9, below float32 rounding); 0 below −44
 * (e^−44 < 1e−19: nothing at float precision next to the row maximum's 1). About 2× faster than Math.exp in V8.
 */
function expNonPositive(x: number): number {
  if (!(x >= -44)) return x !== x ? x : 0;
  const k = (x * Math.LOG2E - 0.5) | 0;
  const r = x - k * Math.LN2;
  const p = 1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * (POW2[k + 64] as number);
}

/** First index of the maximum of row `o..o+C`, or of its first NaN. */
function rowArgMax(a: ArrayLike<number>, o: number, C: number): number {
  let m = a[o] as number;
  if (m !== m) return 0;
  let arg = 0;
  for (let c = 1; c < C; c++) {
    const v = a[o + c] as number;
    if (v !== v) return c;
    if (v > m) {
      m = v;
      arg = c;
    }
  }
  return arg;
}

/**
 * Per-pixel outputs of `logits` [n, C] and optional `likelihoods` [n, C] (row-major), into `into` when given (arrays
 * of n values; `gmm` needed with likelihoods).
 */
export function pixelScoreValues(
  logits: ArrayLike<number>,
  likelihoods: ArrayLike<number> | undefined,
  n: number,
  C: number,
  into?: PixelScoreValues,
): PixelScoreValues {
  const out: PixelScoreValues = into ?? {
    classes: new Int32Array(n),
    maxLogit: new Float32Array(n),
    energy: new Float32Array(n),
    msp: new Float32Array(n),
    ...(likelihoods ? { gmm: new Float32Array(n) } : {}),
  };
  const { classes, maxLogit, energy, msp } = out;
  const gmm = likelihoods ? out.gmm : undefined;
  for (let i = 0, o = 0; i < n; i++, o += C) {
    const arg = rowArgMax(logits, o, C);
    const m = logits[o + arg] as number;
    let s = 0;
    for (let c = 0; c < C; c++) s += expNonPositive((logits[o + c] as number) - m);
    classes[i] = arg;
    maxLogit[i] = -m;
    energy[i] = -(m + Math.log(s));
    msp[i] = -1 / s;
    if (gmm) gmm[i] = -(likelihoods as ArrayLike<number>)[o + rowArgMax(likelihoods as ArrayLike<number>, o, C)]!;
  }
  return out;
}

interface DataBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  write(values: Float32Array | Int32Array, shape: number[], dtype: string): unknown;
}

/** The wasm backend's own way to JavaScript kernels: outputs allocated in, and inputs read from, its heap in place. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

const OUTPUT_DTYPES = ['int32', 'float32', 'float32', 'float32', 'float32'] as const;

/** The JavaScript kernel config for backend `backendName`. */
export function pixelScoresConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: PIXEL_SCORES,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { logits, likelihoods } = inputs as { logits: tf.TensorInfo; likelihoods?: tf.TensorInfo };
      const [R, w, C] = logits.shape as [number, number, number];
      const { width } = attrs as { width?: number };
      if (width !== w) throw new Error(`${PIXEL_SCORES}: maps must arrive at their output width ${width}, got ${w}`);
      const n = R * w;
      const count = likelihoods ? 5 : 4;
      const heap = backend as unknown as Partial<HeapBackend>;
      if (heap.makeOutput && heap.typedArrayFromHeap) {
        // every allocation first: a heap growth would detach views taken earlier
        const outs = OUTPUT_DTYPES.slice(0, count).map((d) => heap.makeOutput!([n], d));
        const view = (t: tf.TensorInfo): Float32Array => heap.typedArrayFromHeap!(t) as Float32Array;
        const [classes, maxLogit, energy, msp, gmm] = outs.map(view);
        const into = { classes: classes as unknown as Int32Array, maxLogit, energy, msp } as PixelScoreValues;
        if (gmm) into.gmm = gmm;
        pixelScoreValues(view(logits), likelihoods ? view(likelihoods) : undefined, n, C, into);
        return outs;
      }
      const be = backend as unknown as DataBackend;
      const v = pixelScoreValues(
        be.readSync(logits.dataId),
        likelihoods ? be.readSync(likelihoods.dataId) : undefined,
        n,
        C,
      );
      const values = [v.classes, v.maxLogit, v.energy, v.msp, v.gmm].slice(0, count) as (Float32Array | Int32Array)[];
      return values.map(
        (x, i) =>
          ({ dataId: be.write(x, [n], OUTPUT_DTYPES[i]!), shape: [n], dtype: OUTPUT_DTYPES[i] }) as tf.TensorInfo,
      );
    },
  };
}
