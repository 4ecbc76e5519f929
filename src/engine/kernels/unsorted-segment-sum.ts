/**
 * `UnsortedSegmentSum` for the wasm backend (missing in tfjs-backend-wasm 4.22; the gradient of `tf.gather` needs it).
 *
 * out [numSegments, ...x.shape[r:]] with out[s] = Σ_{ids[i] = s} x[i] over the r leading dims of x that segmentIds
 * [x.shape[:r]] covers. Ids outside [0, numSegments) are dropped (as in TensorFlow and the tfjs cpu kernel).
 * A plain JS loop over views of the wasm heap: rows are grouped by segment (counting sort), each segment is summed
 * in float64 and rounded once, so the result is exact up to that single rounding, with O(rows) extra memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { EngineError, ShapeError, ValueError } from '../../errors.js';
import { WASM } from './kernel-util.js';

const NAME = 'UnsortedSegmentSum';

/** Kernel function: inputs {x, segmentIds (int32)}, attrs {numSegments}. */
export function unsortedSegmentSumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const x = args.inputs['x'] as tf.TensorInfo;
  const ids = args.inputs['segmentIds'] as tf.TensorInfo;
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const backend = args.backend as BackendWasm;
  if (x.dtype !== 'float32' && x.dtype !== 'int32')
    throw new EngineError(`${NAME} (wasm): x must be float32 or int32, got ${x.dtype}`);
  if (ids.dtype !== 'int32') throw new EngineError(`${NAME} (wasm): segmentIds must be int32, got ${ids.dtype}`);
  if (!Number.isInteger(numSegments) || numSegments < 0)
    throw new ValueError(`${NAME} (wasm): numSegments must be a non-negative integer, got ${numSegments}`);
  const r = ids.shape.length;
  if (r > x.shape.length || ids.shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(
      `${NAME} (wasm): segmentIds shape [${ids.shape.join(', ')}] must be a prefix of x shape [${x.shape.join(', ')}]`,
    );
  }
  const innerShape = x.shape.slice(r);
  const inner = innerShape.reduce((a, d) => a * d, 1);
  // Allocate the output before taking heap views: allocation may grow (and detach) the wasm heap.
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const xVals = backend.typedArrayFromHeap(x);
  const outVals = backend.typedArrayFromHeap(out);
  const { starts, order } = groupBySegment(backend.typedArrayFromHeap(ids), numSegments);
  const acc = new Float64Array(inner);
  for (let s = 0; s < numSegments; s++) {
    const first = starts[s] as number;
    const end = starts[s + 1] as number;
    const dst = s * inner;
    if (end - first <= 1) {
      const src = end === first ? -1 : (order[first] as number) * inner;
      for (let j = 0; j < inner; j++) outVals[dst + j] = src < 0 ? 0 : (xVals[src + j] as number);
      continue;
    }
    acc.fill(0);
    for (let k = first; k < end; k++) {
      const src = (order[k] as number) * inner;
      for (let j = 0; j < inner; j++) acc[j] = (acc[j] as number) + (xVals[src + j] as number);
    }
    outVals.set(acc, dst);
  }
  return out;
}

/**
 * Counting sort of the row indices by segment: rows of segment s are order[starts[s] .. starts[s + 1]), in input
 * order; ids outside [0, numSegments) are dropped. Memory O(rows + numSegments), independent of the row width.
 */
function groupBySegment(ids: ArrayLike<number>, numSegments: number): { starts: Int32Array; order: Int32Array } {
  const starts = new Int32Array(numSegments + 1);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s >= 0 && s < numSegments) starts[s + 1] = (starts[s + 1] as number) + 1;
  }
  for (let s = 0; s < numSegments; s++) starts[s + 1] = (starts[s + 1] as number) + (starts[s] as number);
  const cursor = starts.slice(0, numSegments);
  const order = new Int32Array(starts[numSegments] as number);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue;
    order[cursor[s] as number] = i;
    cursor[s] = (cursor[s] as number) + 1;
  }
  return { starts, order };
}

/** Registration record. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: WASM,
  kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
};
