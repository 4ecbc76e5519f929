/**
 * The `PixelScores` kernel for the engines without a native one (wasm, cpu, browser backends): the per-pixel outputs
 * of prediction in one JavaScript pass over a band's maps, read and written in place on the wasm heap (through
 * readSync/write elsewhere). native/src/ops_pixel.cc is the same loop in C++ and also fuses the column upsampling;
 * here the caller (engine/pixel-scores.ts) has the backend resize the columns first (a JavaScript interpolation loop
 * measured slower than wasm's resize), so the maps arrive at their output width. On the wasm engine the loop itself
 * runs in WebAssembly SIMD on the heap in place (pixel-scores-simd.ts; the same bits, ≈ 3× faster); elsewhere, and
 * for the last n mod 4 pixels, in JavaScript. Per pixel of logits [R, W, C] (and
 * class log-likelihoods): the first argmax, −max logit, energy −(m + log s) and −max softmax −1/s with
 * s = Σ_c exp(l_c − m) accumulated in float64, and −max log-likelihood. A NaN in a pixel's values makes its scores
 * NaN and its class the first NaN's index.
 */
import type * as tf from '@tensorflow/tfjs';
import { backendMemory, simdPixelScores, type SimdPixelScores } from './pixel-scores-simd.js';

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

/**
 * The SIMD loop on the first n − n mod 4 pixels (it leaves energy to this function: −(m + ln s) from its float64 s),
 * the JavaScript loop on the rest; the same bits as `pixelScoreValues` on all n.
 */
function simdScores(
  simd: SimdPixelScores,
  a: { L: Float32Array; S: Float32Array | undefined; n: number; C: number; into: PixelScoreValues; sum: Float64Array },
): void {
  const { L, S, n, C, into, sum } = a;
  const head = n - (n % 4);
  simd({
    logits: L.byteOffset,
    ...(S && into.gmm ? { likelihoods: S.byteOffset, gmm: into.gmm.byteOffset } : {}),
    n: head,
    C,
    classes: into.classes.byteOffset,
    maxLogit: into.maxLogit.byteOffset,
    sum: sum.byteOffset,
    msp: into.msp.byteOffset,
  });
  const { maxLogit, energy } = into;
  for (let i = 0; i < head; i++) energy[i] = -(-(maxLogit[i] as number) + Math.log(sum[i] as number));
  if (head === n) return;
  const tail = (x: Float32Array | Int32Array): Float32Array => x.subarray(head) as Float32Array;
  const rest: PixelScoreValues = {
    classes: into.classes.subarray(head),
    maxLogit: tail(into.maxLogit),
    energy: tail(energy),
    msp: tail(into.msp),
    ...(into.gmm ? { gmm: tail(into.gmm) } : {}),
  };
  pixelScoreValues(L.subarray(head * C), S?.subarray(head * C), n - head, C, rest);
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
        const memory = backendMemory(backend);
        const simd = memory && n >= 4 ? simdPixelScores(memory) : undefined;
        const sum = simd ? heap.makeOutput([2 * n], 'float32') : undefined; // [n] float64 scratch
        const view = (t: tf.TensorInfo): Float32Array => heap.typedArrayFromHeap!(t) as Float32Array;
        const [classes, maxLogit, energy, msp, gmm] = outs.map(view);
        const into = { classes: classes as unknown as Int32Array, maxLogit, energy, msp } as PixelScoreValues;
        if (gmm) into.gmm = gmm;
        const L = view(logits);
        const S = likelihoods ? view(likelihoods) : undefined;
        if (simd && sum) {
          try {
            const s = view(sum);
            // the heap's allocator aligns to 8 bytes; were it not to, the JavaScript loop gives the same bits
            if (s.byteOffset % 8 === 0)
              simdScores(simd, { L, S, n, C, into, sum: new Float64Array(s.buffer, s.byteOffset, n) });
            else pixelScoreValues(L, S, n, C, into);
          } finally {
            (backend as unknown as { disposeData(id: unknown): void }).disposeData(sum.dataId);
          }
        } else pixelScoreValues(L, S, n, C, into);
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
