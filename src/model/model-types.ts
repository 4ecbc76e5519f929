/**
 * Plain-data types of a saved model (the `.gmmseg` file). No classes and no hidden state: a model is JSON-able
 * metadata plus named typed arrays. The codec that turns these into bytes lives in `format.ts`.
 */

/** Element type of a stored tensor. */
export type TensorDType = 'float32' | 'int32' | 'uint8';

/** A named tensor: row-major (C order) data of `prod(shape)` elements; `shape` `[]` is a scalar (1 element). */
export interface NamedTensor {
  dtype: TensorDType;
  shape: number[];
  /** Float32Array for 'float32', Int32Array for 'int32', Uint8Array for 'uint8'. */
  data: Float32Array | Int32Array | Uint8Array;
}

/**
 * Everything a model file holds. All sections except `tensors` must be JSON-serialisable without loss
 * (no NaN/±Infinity, no undefined, no class instances); `encodeModel` rejects anything else.
 */
export interface ModelFile {
  /** The flat typed config (JSON-serialisable), validated by the caller. */
  config: Record<string, unknown>;
  /** Class names, index = class id. */
  classes: string[];
  /** E.g. mean/std and input size. */
  preprocessing: Record<string, unknown>;
  /** Measured metrics with dataset and command. */
  metrics: Record<string, unknown>;
  /** E.g. anomaly threshold. */
  calibration: Record<string, unknown>;
  /** Named tensors, e.g. 'gmm.means' [C, K, D]. */
  tensors: Record<string, NamedTensor>;
}

/** One row of the tensor table in the header. `offset` is relative to the data section and a multiple of 64. */
export interface TensorEntry {
  name: string;
  dtype: TensorDType;
  shape: number[];
  offset: number;
  byteLength: number;
}

/** The JSON header of a model file, exactly as stored (see `format.ts` for the byte layout). */
export interface ModelHeader {
  formatVersion: number;
  config: Record<string, unknown>;
  classes: string[];
  preprocessing: Record<string, unknown>;
  metrics: Record<string, unknown>;
  calibration: Record<string, unknown>;
  tensors: TensorEntry[];
  /** Byte length of the data section (end of the last tensor). */
  dataByteLength: number;
  /** CRC32 (IEEE) of the data section, as an unsigned 32-bit integer. */
  dataCrc32: number;
  /** Free text naming the writer, e.g. 'gmmseg 0.1.0'. */
  createdBy: string;
}

/** The fixed-size binary preamble in front of the header, decoded. */
export interface Preamble {
  formatVersion: number;
  /** Byte length of the UTF-8 JSON header. */
  headerByteLength: number;
  /** CRC32 (IEEE) of the header bytes. */
  headerCrc32: number;
  /** Reserved flags; always 0 in format version 1. */
  flags: number;
  /** Absolute file offset of the data section (a multiple of 64). */
  dataOffset: number;
}
