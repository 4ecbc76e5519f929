/**
 * The `torch` TensorFlow.js backend: tensors live in native (libtorch) memory, addressed by handles; kernels run in
 * libtorch through one generic `run(kernel, inputs, attrs)` call. tfjs keeps doing what it does on every backend
 * (autograd tape, tidy, variables); this class only stores tensors and runs kernels.
 *
 * NHWC tensors are stored contiguous in tfjs's row-major order, which is exactly libtorch's channels-last layout of
 * the NCHW tensor, so convolutions see channels-last tensors without copies (native/src/ops_conv.cc).
 */
import * as tf from '@tensorflow/tfjs';
import { EngineFallbackError } from '../fallback-error.js';
import type { Handle, TorchAddon } from './addon.js';
import type { AttrsOf, NativeKernel } from './kernel-contract.js';

interface TensorData {
  handle: Handle;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

type Values = Float32Array | Int32Array | Uint8Array;

/** Converts tfjs backend values to the typed array the addon expects for `dtype`. */
function typed(values: tf.backend_util.BackendValues | null, dtype: tf.DataType, size: number): Values {
  if (dtype === 'float32')
    return values instanceof Float32Array
      ? values
      : values
        ? Float32Array.from(values as ArrayLike<number>)
        : new Float32Array(size);
  if (dtype === 'int32')
    return values instanceof Int32Array
      ? values
      : values
        ? Int32Array.from(values as ArrayLike<number>)
        : new Int32Array(size);
  if (dtype === 'bool')
    return values instanceof Uint8Array
      ? values
      : values
        ? Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0))
        : new Uint8Array(size);
  throw new EngineFallbackError(`the torch engine does not support ${dtype} tensors`, 'torch');
}

export class TorchBackend extends tf.KernelBackend {
  private readonly data: tf.DataStorage<TensorData>;

  constructor(readonly addon: TorchAddon) {
    super();
    this.data = new tf.DataStorage<TensorData>(this, tf.engine());
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const dataId = {};
    this.move(dataId, values, shape, dtype, 1);
    return dataId;
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    const size = shape.reduce((a, d) => a * d, 1);
    this.data.set(dataId, {
      handle: this.addon.fromArray(typed(values, dtype, size), shape, dtype),
      shape: shape.slice(),
      dtype,
      refCount,
    });
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    return this.addon.toArray(this.data.get(dataId).handle);
  }

  override read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    this.addon.free(d.handle);
    this.data.delete(dataId);
    return true;
  }

  override refCount(dataId: tf.DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: tf.DataId): void {
    if (this.data.has(dataId)) this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): { unreliable: boolean; reasons: string[] } {
    return { unreliable: true, reasons: ['native libtorch memory is not counted by tfjs'] };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const t0 = performance.now();
    f();
    return { kernelMs: performance.now() - t0 };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    /* tensors are freed one by one through disposeData */
  }

  /** The native handle of a kernel input. */
  handle(info: tf.TensorInfo): Handle {
    return this.data.get(info.dataId).handle;
  }

  /**
   * Runs native op `kernel` on `inputs` with `attrs` (typed by the kernel contract); returns its outputs as new
   * tensors of this backend.
   */
  run<K extends NativeKernel>(
    kernel: K,
    inputs: readonly tf.TensorInfo[],
    attrs: AttrsOf<K> = {} as AttrsOf<K>,
  ): tf.TensorInfo[] {
    const r = this.addon.run(
      kernel,
      inputs.map((t) => this.handle(t)),
      attrs,
    );
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < r.length; i += 3) {
      const dataId = {};
      const shape = r[i + 1] as number[];
      const dtype = r[i + 2] as tf.DataType;
      this.data.set(dataId, { handle: r[i] as Handle, shape, dtype, refCount: 1 });
      outs.push({ dataId, shape, dtype });
    }
    return outs;
  }

  /** {@link run} for single-output kernels. */
  run1<K extends NativeKernel>(
    kernel: K,
    inputs: readonly tf.TensorInfo[],
    attrs: AttrsOf<K> = {} as AttrsOf<K>,
  ): tf.TensorInfo {
    return this.run(kernel, inputs, attrs)[0] as tf.TensorInfo;
  }
}
