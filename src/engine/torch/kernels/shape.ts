/**
 * Shape and data-movement kernels of the `torch` backend (native/src/ops_shape.cc): tfjs's attributes are normalised
 * here with tfjs's own helpers (negative axes, -1 sizes, StridedSlice masks, split sizes), so each kernel is one
 * native call with explicit per-dimension values. Reshape, Slice, Transpose, Unpack and SplitV return views of the
 * input's native storage (no copy).
 */
import * as tf from '@tensorflow/tfjs';
import type { TorchBackend } from '../backend.js';
import { customKernel, nativeKernel } from '../kernel-def.js';
import { storedValue } from './creation.js';

const { util, slice_util, backend_util } = tf;

/** The kernel's list inputs (Concat, Pack get an array-like map). */
function listInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.values(inputs).filter((t): t is tf.TensorInfo => t != null);
}

/** A new tensor sharing `x`'s data (same shape), like the Identity kernel. */
function share(x: tf.TensorInfo, backend: TorchBackend): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Reshape to `shape` (may hold one -1), checked like the cpu backend. */
function reshapeTo(x: tf.TensorInfo, shape: number[], backend: TorchBackend): tf.TensorInfo {
  const size = util.sizeFromShape(x.shape);
  const $shape = util.inferFromImplicitShape(shape, size);
  const $size = util.sizeFromShape($shape);
  util.assert(
    size === $size,
    () =>
      `The new shape (${$shape}) has ${$size} elements and the old shape (${x.shape}) has ${size} elements. The new shape and old shape must have the same number of elements.`,
  );
  return backend.run1('Reshape', [x], { shape: $shape });
}

/** Shape of `x` with a 1 inserted at `dim` (negative counts from the end, as in ExpandDims). */
function expandedShape(shape: number[], dim: number): number[] {
  const rank = shape.length;
  util.assert(dim >= -(rank + 1) && dim <= rank, () => `Axis must be in the interval [${-(rank + 1)}, ${rank}]`);
  const out = shape.slice();
  out.splice(dim < 0 ? rank + dim + 1 : dim, 0, 1);
  return out;
}

/** [[b0, a0], [b1, a1], …] → [b0, a0, b1, a1, …]. */
function flatPairs(pairs: unknown): number[] {
  return (pairs as number[][]).flatMap((p) => [p[0] as number, p[1] as number]);
}

/** Number of elements a canonical (begin, end, stride) interval selects (tfjs slice_util's processing shape). */
function intervalCount(begin: number, end: number, stride: number): number {
  const len = end - begin;
  if (len === 0 || len < 0 !== stride < 0) return 0;
  return Math.trunc(len / stride) + (len % stride !== 0 ? 1 : 0);
}

function stridedSlice(x: tf.TensorInfo, attrs: tf.NamedAttrMap, backend: TorchBackend): tf.TensorInfo {
  const { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask } =
    attrs as unknown as tf.StridedSliceAttrs;
  const info = slice_util.sliceInfo(
    x.shape,
    begin,
    end,
    strides,
    beginMask,
    endMask,
    ellipsisMask,
    newAxisMask,
    shrinkAxisMask,
  );
  const count = x.shape.map((_, i) =>
    intervalCount(info.begin[i] as number, info.end[i] as number, info.strides[i] as number),
  );
  return backend.run1('StridedSlice', [x], { begin: info.begin, count, strides: info.strides, shape: info.finalShape });
}

function concat(inputs: tf.TensorInfo[], axis: number, backend: TorchBackend): tf.TensorInfo {
  const first = inputs[0] as tf.TensorInfo;
  const $axis = util.parseAxisParam(axis, first.shape)[0] as number;
  backend_util.assertParamsConsistent(
    inputs.map((t) => t.shape),
    $axis,
  );
  const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
  if (nonEmpty.length === 1 && (nonEmpty[0] as tf.TensorInfo).dtype === first.dtype)
    return share(nonEmpty[0] as tf.TensorInfo, backend);
  return backend.run1('Concat', nonEmpty.length > 0 ? nonEmpty : inputs, { axis: $axis });
}

export const shapeKernelConfigs: tf.KernelConfig[] = [
  customKernel('Reshape', ({ inputs, attrs, backend }) =>
    reshapeTo(inputs.x as tf.TensorInfo, attrs.shape as number[], backend),
  ),
  customKernel('ExpandDims', ({ inputs, attrs, backend }) => {
    const x = inputs.input as tf.TensorInfo;
    return backend.run1('Reshape', [x], { shape: expandedShape(x.shape, attrs.dim as number) });
  }),
  nativeKernel('Transpose', ['x'], (attrs, inputs) => {
    const rank = (inputs.x as tf.TensorInfo).shape.length;
    return { perm: (attrs.perm as number[]).map((p) => (p < 0 ? p + rank : p)) };
  }),
  nativeKernel('Slice', ['x'], (attrs, inputs) => {
    const x = inputs.x as tf.TensorInfo;
    const [begin, size] = slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin as number | number[],
      attrs.size as number | number[],
    );
    slice_util.assertParamsValid(x as tf.Tensor, begin, size);
    return { begin, size };
  }),
  customKernel('StridedSlice', ({ inputs, attrs, backend }) => stridedSlice(inputs.x as tf.TensorInfo, attrs, backend)),
  customKernel('Concat', ({ inputs, attrs, backend }) => concat(listInputs(inputs), attrs.axis as number, backend)),
  customKernel('Pack', ({ inputs, attrs, backend }) => {
    const list = listInputs(inputs);
    const first = list[0] as tf.TensorInfo;
    list.forEach((t) => {
      util.assertShapesMatch(first.shape, t.shape, 'All tensors passed to stack must have matching shapes');
      util.assert(first.dtype === t.dtype, () => 'All tensors passed to stack must have matching dtypes');
    });
    const axis = attrs.axis as number;
    if (list.length === 1) return backend.run1('Reshape', [first], { shape: expandedShape(first.shape, axis) });
    return backend.run1('Pack', list, { axis });
  }),
  customKernel('Unpack', ({ inputs, attrs, backend }) =>
    backend.run('Unpack', [inputs.value as tf.TensorInfo], { axis: attrs.axis as number }),
  ),
  customKernel('SplitV', ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    const n = attrs.numOrSizeSplits as number | number[];
    // prepareSplitSize rewrites a -1 in place: give it a copy so the recorded attributes stay as passed.
    const sizes = backend_util.prepareSplitSize(x, typeof n === 'number' ? n : n.slice(), axis);
    return backend.run('SplitV', [x], { sizes, axis });
  }),
  nativeKernel('Tile', ['x']),
  customKernel('Reverse', ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    // Like the cpu backend, a dimension named twice is flipped twice (i.e. not at all).
    const odd = new Map<number, boolean>();
    for (const d of util.parseAxisParam(attrs.dims as number | number[], x.shape)) odd.set(d, !odd.get(d));
    return backend.run1('Reverse', [x], { dims: [...odd].filter(([, o]) => o).map(([d]) => d) });
  }),
  nativeKernel('PadV2', ['x'], (attrs, inputs) => ({
    paddings: flatPairs(attrs.paddings),
    value: storedValue(Number(attrs.constantValue), (inputs.x as tf.TensorInfo).dtype),
  })),
  nativeKernel('MirrorPad', ['x'], (attrs) => ({ paddings: flatPairs(attrs.paddings), mode: attrs.mode as string })),
  nativeKernel('SpaceToBatchND', ['x'], (attrs) => ({
    blockShape: attrs.blockShape as number[],
    paddings: flatPairs(attrs.paddings),
  })),
  nativeKernel('BatchToSpaceND', ['x'], (attrs) => ({
    blockShape: attrs.blockShape as number[],
    crops: flatPairs(attrs.crops),
  })),
  nativeKernel('DepthToSpace', ['x']),
  nativeKernel('Diag', ['x']),
];
