/**
 * The kernel contract between TypeScript and the native addon: every native op (native/src/ops_*.cc, registered with
 * `GMM_OP(Name, "key:type,…")`) with its attribute keys and types. The kernel registrations build their attributes
 * against {@link AttrsOf} (a misspelt or missing key, or a value of the wrong type, fails to compile), and
 * tests/unit/engine/kernel-contract.test.ts checks that this table equals what the addon declares (`addon.ops()`).
 *
 * Types: 'int' / 'float' (a number), 'bool', 'string', 'int[]' / 'float[]' (a number list; 'int[]' also takes one
 * number). A trailing '?' marks a key the native op may go without (it has a default there).
 */
import type * as tf from '@tensorflow/tfjs';

/** An attribute type as the native side reads it (Attrs::i, f, b, s, iv, fv). */
export type AttrType = 'int' | 'float' | 'bool' | 'string' | 'int[]' | 'float[]';
/** A declared attribute: its type, with '?' when the native op may go without it. */
export type AttrDecl = AttrType | `${AttrType}?`;

const NO_ATTRS = {} as const;

const CONV_GEOMETRY = { stride: 'int[]', dilation: 'int[]', pad: 'int[]', nchw: 'bool?', depthwise: 'bool?' } as const;
const FUSED = { hasBias: 'bool', hasPrelu: 'bool', activation: 'string?', leakyreluAlpha: 'float?' } as const;
const POOL_GEOMETRY = { kernel: 'int[]', stride: 'int[]', pad: 'int[]' } as const;
const RESIZE = { size: 'int[]', alignCorners: 'bool', halfPixelCenters: 'bool' } as const;
const RESIZE_GRAD = { imageShape: 'int[]', alignCorners: 'bool', halfPixelCenters: 'bool' } as const;
const REDUCTION = { axis: 'int[]', keepDims: 'bool?' } as const;
const CUMULATIVE = { axis: 'int', exclusive: 'bool?', reverse: 'bool?' } as const;
const ONE_AXIS = { axis: 'int' } as const;

/** Elementwise binary ops without attributes (ops_binary.cc; the torch backend registers them from this list). */
export const ELEMENTWISE_BINARY = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'FloorDiv',
  'Mod',
  'Pow',
  'Maximum',
  'Minimum',
  'SquaredDifference',
  'Atan2',
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'LogicalAnd',
  'LogicalOr',
] as const;

/** Elementwise unary ops without attributes (ops_unary.cc; the torch backend registers them from this list). */
export const ELEMENTWISE_UNARY = [
  'Abs',
  'Neg',
  'Exp',
  'Expm1',
  'Log',
  'Log1p',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Reciprocal',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Tanh',
  'Asinh',
  'Acosh',
  'Atanh',
  'Erf',
  'Sigmoid',
  'Softplus',
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'IsFinite',
  'IsNan',
  'IsInf',
  'LogicalNot',
  'ZerosLike',
  'OnesLike',
] as const;

/** Native ops without attributes, by op file. */
const PLAIN_OPS = [
  ...ELEMENTWISE_BINARY,
  'Select',
  'AddN', // ops_binary.cc
  ...ELEMENTWISE_UNARY,
  'Prelu',
  'EluGrad', // ops_unary.cc
  'Diag',
] as const;

type PlainOp = (typeof PLAIN_OPS)[number];

/** Native ops with attributes: key → declared type. */
const ATTR_OPS = {
  // ops_conv.cc
  Conv2D: CONV_GEOMETRY,
  FusedConv2D: { ...CONV_GEOMETRY, ...FUSED },
  Conv2DBackpropInput: { ...CONV_GEOMETRY, inputShape: 'int[]' },
  Conv2DBackpropFilter: { ...CONV_GEOMETRY, filterShape: 'int[]' },
  // ops_create.cc
  Fill: { shape: 'int[]', value: 'float', dtype: 'string' },
  Range: { start: 'float', step: 'float', n: 'int', dtype: 'string' },
  LinSpace: { start: 'float', stop: 'float', num: 'int' },
  // ops_image.cc
  ResizeBilinear: RESIZE,
  ResizeBilinearGrad: RESIZE_GRAD,
  ResizeNearestNeighbor: RESIZE,
  ResizeNearestNeighborGrad: RESIZE_GRAD,
  MaxPool: POOL_GEOMETRY,
  MaxPoolGrad: POOL_GEOMETRY,
  AvgPool: POOL_GEOMETRY,
  AvgPoolGrad: POOL_GEOMETRY,
  // ops_index.cc
  GatherV2: { axis: 'int', batchDims: 'int' },
  GatherNd: { shape: 'int[]', sliceSize: 'int', strides: 'int[]' },
  ScatterNd: { shape: 'int[]', sliceSize: 'int', strides: 'int[]' },
  TensorScatterUpdate: { sliceSize: 'int', strides: 'int[]' },
  UnsortedSegmentSum: { numSegments: 'int' },
  OneHot: { depth: 'int', onValue: 'float', offValue: 'float', dtype: 'string' },
  // ops_matmul.cc
  BatchMatMul: { transposeA: 'bool', transposeB: 'bool' },
  _FusedMatMul: { transposeA: 'bool', transposeB: 'bool', ...FUSED },
  Einsum: { equation: 'string' },
  // ops_adamw.cc
  AdamWUpdate: {
    beta1: 'float',
    oneMinusBeta1: 'float',
    beta2: 'float',
    oneMinusBeta2: 'float',
    decay: 'float',
    sqrtBc2: 'float',
    epsilon: 'float',
    stepSize: 'float',
  },
  // ops_batch_norm_train.cc
  BatchNormTrain: { eps: 'float', relu: 'bool' },
  BatchNormTrainGrad: { eps: 'float', relu: 'bool' },
  // ops_norm.cc
  FusedBatchNorm: { hasOffset: 'bool', hasScale: 'bool', varianceEpsilon: 'float?' },
  // ops_pixel.cc
  PixelScores: { width: 'int', scalar: 'bool?' },
  // ops_reduce.cc
  Sum: REDUCTION,
  Mean: REDUCTION,
  Max: REDUCTION,
  Min: REDUCTION,
  Prod: REDUCTION,
  Any: REDUCTION,
  All: REDUCTION,
  ArgMax: ONE_AXIS,
  ArgMin: ONE_AXIS,
  Softmax: { dim: 'int' },
  Cumsum: CUMULATIVE,
  Cumprod: CUMULATIVE,
  TopK: { k: 'int' },
  // ops_shape.cc
  Reshape: { shape: 'int[]' },
  Transpose: { perm: 'int[]' },
  Slice: { begin: 'int[]', size: 'int[]' },
  StridedSlice: { begin: 'int[]', count: 'int[]', strides: 'int[]', shape: 'int[]' },
  Concat: ONE_AXIS,
  Pack: ONE_AXIS,
  Unpack: ONE_AXIS,
  SplitV: { sizes: 'int[]', axis: 'int' },
  Tile: { reps: 'int[]' },
  Reverse: { dims: 'int[]' },
  PadV2: { paddings: 'int[]', value: 'float' },
  MirrorPad: { paddings: 'int[]', mode: 'string' },
  SpaceToBatchND: { blockShape: 'int[]', paddings: 'int[]' },
  BatchToSpaceND: { blockShape: 'int[]', crops: 'int[]' },
  DepthToSpace: { blockSize: 'int', dataFormat: 'string' },
  // ops_hard_swish.cc
  HardSwish: { scale: 'float' },
  HardSwishGrad: { scale: 'float' },
  // ops_unary.cc
  Step: { alpha: 'float' },
  LeakyRelu: { alpha: 'float' },
  ClipByValue: { clipValueMin: 'float', clipValueMax: 'float' },
  Cast: { dtype: 'string' },
} as const satisfies Record<string, Record<string, AttrDecl>>;

/** Name of a native op. */
export type NativeKernel = PlainOp | keyof typeof ATTR_OPS;

/** Every native op with its declared attributes (key → type). */
export const NATIVE_KERNELS: Readonly<Record<NativeKernel, Readonly<Record<string, AttrDecl>>>> = {
  ...(Object.fromEntries(PLAIN_OPS.map((n) => [n, NO_ATTRS])) as Record<PlainOp, typeof NO_ATTRS>),
  ...ATTR_OPS,
};

type Spec<K extends NativeKernel> = K extends keyof typeof ATTR_OPS ? (typeof ATTR_OPS)[K] : typeof NO_ATTRS;

/** The TypeScript value of an attribute type. */
type ValueOf<T> = T extends 'int' | 'float' | 'int?' | 'float?'
  ? number
  : T extends 'bool' | 'bool?'
    ? boolean
    : T extends 'string' | 'string?'
      ? string
      : T extends 'int[]' | 'int[]?'
        ? number | readonly number[]
        : readonly number[];

type RequiredKeys<S> = { [P in keyof S]: S[P] extends `${string}?` ? never : P }[keyof S];
type OptionalKeys<S> = Exclude<keyof S, RequiredKeys<S>>;

/** The attribute object native op `K` takes: its required keys, and its optional ones as optional properties. */
export type AttrsOf<K extends NativeKernel> = { [P in RequiredKeys<Spec<K>>]: ValueOf<Spec<K>[P]> } & {
  [P in OptionalKeys<Spec<K>>]?: ValueOf<Spec<K>[P]>;
};

/** Whether `name` is a native op. */
export function isNativeKernel(name: string): name is NativeKernel {
  return Object.prototype.hasOwnProperty.call(NATIVE_KERNELS, name);
}

/**
 * A function taking the declared attributes of native op `kernel` from tfjs's attribute map (for kernels whose tfjs
 * attributes are exactly the native ones: ResizeBilinear, OneHot, Tile, …); keys tfjs leaves undefined stay absent.
 */
export function attrPicker<K extends NativeKernel>(kernel: K): (attrs: tf.NamedAttrMap) => AttrsOf<K> {
  const keys = Object.keys(NATIVE_KERNELS[kernel]);
  return (attrs) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) if (attrs[key] !== undefined) out[key] = attrs[key];
    return out as AttrsOf<K>;
  };
}
