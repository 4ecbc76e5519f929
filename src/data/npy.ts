/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), pure over bytes: {@link parseNpy} and
 * {@link encodeNpy}. Layout: magic `\x93NUMPY`, major, minor, header length (uint16 LE for v1, uint32 LE for
 * v2/v3), a Python-literal dict `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (latin-1, or
 * UTF-8 for v3) padded with spaces and a newline, then the raw data.
 *
 * Dtypes: bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, float32, float64, little- or
 * big-endian. Data comes back in C order (Fortran-order files are transposed), native typed arrays
 * (64-bit integers as BigInt64Array/BigUint64Array; float16 decoded into a Float32Array exactly).
 * Every problem is a `FormatError` naming the file (the `name` argument) and what is wrong.
 */
import { FormatError } from '../errors.js';
import { float16Bits, fromFloat16Bits } from '../float16.js';

export type NpyDtype =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64';

export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A parsed array: C-order data, its shape, and the dtype it had in the file. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** Options of {@link encodeNpy}. */
export interface NpyEncodeOptions {
  /** Format version; default 1, or 2 when the header does not fit 65535 bytes. */
  version?: 1 | 2 | 3;
  /** Byte order of the data; default little-endian. */
  endian?: 'little' | 'big';
  /** Write the data in Fortran (column-major) order with `fortran_order: True`. */
  fortranOrder?: boolean;
}

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
}

const CODES: Record<string, DtypeInfo> = {
  b1: { dtype: 'bool', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  u1: { dtype: 'uint8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  u2: { dtype: 'uint16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  u4: { dtype: 'uint32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a whole `.npy` file. `name` (e.g. the path) is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const fail = (msg: string): never => {
    throw new FormatError(`${name}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail('not a NumPy .npy file (missing the \\x93NUMPY magic)');
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (major < 1 || major > 3 || minor !== 0)
    fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated before the header length');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (bytes.length < dataStart)
    fail(`truncated header: declares ${headerLen} bytes, file has ${bytes.length - 8 - lenBytes}`);
  const raw = bytes.subarray(8 + lenBytes, dataStart);
  const text = major === 3 ? new TextDecoder('utf-8').decode(raw) : latin1(raw);
  const header = parseHeader(text, fail);
  const code = header.descr.slice(1);
  const order = header.descr[0];
  const info = CODES[code];
  if (info === undefined || !['<', '>', '|', '='].includes(order as string)) {
    fail(
      `unsupported dtype '${header.descr}' (supported: ${Object.values(CODES)
        .map((c) => c.dtype)
        .join(', ')})`,
    );
  }
  const { dtype, size } = info as DtypeInfo;
  const little = order !== '>';
  const count = header.shape.reduce((a, b) => a * b, 1);
  const want = count * size;
  const have = bytes.length - dataStart;
  if (have < want)
    fail(`truncated data: shape (${header.shape.join(', ')}) of ${dtype} needs ${want} bytes, file has ${have}`);
  if (have > want)
    fail(`${have - want} unexpected bytes after the data of shape (${header.shape.join(', ')}) ${dtype}`);
  let data = decodeData(bytes.subarray(dataStart), dtype, count, little);
  if (header.fortran && header.shape.length > 1) data = reorder(data, header.shape, false);
  return { dtype, shape: header.shape, data };
}

/** Encodes an array (data in C order, length = product of shape) as `.npy` bytes. */
export function encodeNpy(arr: NpyArray, opts: NpyEncodeOptions = {}): Uint8Array {
  const code = Object.keys(CODES).find((k) => CODES[k]?.dtype === arr.dtype);
  if (code === undefined) throw new FormatError(`encodeNpy: unknown dtype '${String(arr.dtype)}'`);
  const { size } = CODES[code] as DtypeInfo;
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new FormatError(`encodeNpy: invalid shape (${arr.shape.join(', ')})`);
  if (arr.data.length !== count) {
    throw new FormatError(
      `encodeNpy: data has ${arr.data.length} values, shape (${arr.shape.join(', ')}) needs ${count}`,
    );
  }
  const little = opts.endian !== 'big';
  const fortran = opts.fortranOrder === true;
  const descr = `${size === 1 ? '|' : little ? '<' : '>'}${code}`;
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  let version = opts.version ?? 1;
  if (version === 1 && dict.length + 11 > 65535) version = 2;
  const pre = version === 1 ? 10 : 12;
  const padded = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const headerText = dict + ' '.repeat(padded - pre - dict.length - 1) + '\n';
  const headerBytes = new TextEncoder().encode(headerText);
  const data = fortran && arr.shape.length > 1 ? reorder(arr.data, arr.shape, true) : arr.data;
  const out = new Uint8Array(pre + headerBytes.length + count * size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, pre);
  encodeData(view, pre + headerBytes.length, data, arr.dtype, little);
  return out;
}

function latin1(raw: Uint8Array): string {
  let s = '';
  for (let k = 0; k < raw.length; k++) s += String.fromCharCode(raw[k] as number);
  return s;
}

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

/** Parses the header dict (a small subset of Python literal syntax). */
function parseHeader(text: string, fail: (msg: string) => never): Header {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const expect = (ch: string): void => {
    ws();
    if (text[i] !== ch) fail(`malformed header: expected '${ch}' at position ${i} in ${JSON.stringify(text.trim())}`);
    i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('malformed header: unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`malformed header: expected ',' or '${close}' at position ${i}`);
      }
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (m === null)
      fail(`malformed header: unexpected text at position ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
    const tok = (m as RegExpExecArray)[1] as string;
    i += tok.length;
    if (tok === 'True') return true;
    if (tok === 'False') return false;
    if (tok === 'None') return null;
    return Number(tok.replace('L', ''));
  };
  expect('{');
  const dict: Record<string, unknown> = {};
  for (;;) {
    ws();
    if (text[i] === '}') {
      i++;
      break;
    }
    const key = value();
    if (typeof key !== 'string') fail('malformed header: dict keys must be strings');
    expect(':');
    dict[key as string] = value();
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(`malformed header: expected ',' or '}' at position ${i}`);
  }
  const keys = Object.keys(dict).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') fail(`header keys are {${keys}}, expected {descr, fortran_order, shape}`);
  if (typeof dict.descr !== 'string')
    fail(`unsupported dtype ${JSON.stringify(dict.descr)} (structured dtypes are not supported)`);
  if (typeof dict.fortran_order !== 'boolean') fail("header 'fortran_order' must be True or False");
  const shape = dict.shape;
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    fail(`header 'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return { descr: dict.descr as string, fortran: dict.fortran_order as boolean, shape: shape as number[] };
}

function decodeData(src: Uint8Array, dtype: NpyDtype, count: number, little: boolean): NpyData {
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const fill = <T extends { [k: number]: number }>(out: T, get: (o: number) => number, size: number): T => {
    for (let k = 0; k < count; k++) out[k] = get(k * size);
    return out;
  };
  const fillBig = <T extends { [k: number]: bigint }>(out: T, get: (o: number) => bigint): T => {
    for (let k = 0; k < count; k++) out[k] = get(k * 8);
    return out;
  };
  switch (dtype) {
    case 'bool': {
      const out = new Uint8Array(count);
      for (let k = 0; k < count; k++) out[k] = src[k] === 0 ? 0 : 1;
      return out;
    }
    case 'uint8':
      return Uint8Array.from(src.subarray(0, count));
    case 'int8':
      return fill(new Int8Array(count), (o) => v.getInt8(o), 1);
    case 'int16':
      return fill(new Int16Array(count), (o) => v.getInt16(o, little), 2);
    case 'uint16':
      return fill(new Uint16Array(count), (o) => v.getUint16(o, little), 2);
    case 'int32':
      return fill(new Int32Array(count), (o) => v.getInt32(o, little), 4);
    case 'uint32':
      return fill(new Uint32Array(count), (o) => v.getUint32(o, little), 4);
    case 'int64':
      return fillBig(new BigInt64Array(count), (o) => v.getBigInt64(o, little));
    case 'uint64':
      return fillBig(new BigUint64Array(count), (o) => v.getBigUint64(o, little));
    case 'float16':
      return fill(new Float32Array(count), (o) => fromFloat16Bits(v.getUint16(o, little)), 2);
    case 'float32':
      return fill(new Float32Array(count), (o) => v.getFloat32(o, little), 4);
    case 'float64':
      return fill(new Float64Array(count), (o) => v.getFloat64(o, little), 8);
  }
}

function encodeData(v: DataView, off: number, data: NpyData, dtype: NpyDtype, little: boolean): void {
  const n = data.length;
  for (let k = 0; k < n; k++) {
    const x = data[k] as number | bigint;
    switch (dtype) {
      case 'bool':
        v.setUint8(off + k, x === 0 || x === 0n ? 0 : 1);
        break;
      case 'uint8':
        v.setUint8(off + k, Number(x));
        break;
      case 'int8':
        v.setInt8(off + k, Number(x));
        break;
      case 'int16':
        v.setInt16(off + 2 * k, Number(x), little);
        break;
      case 'uint16':
        v.setUint16(off + 2 * k, Number(x), little);
        break;
      case 'int32':
        v.setInt32(off + 4 * k, Number(x), little);
        break;
      case 'uint32':
        v.setUint32(off + 4 * k, Number(x), little);
        break;
      case 'int64':
        v.setBigInt64(off + 8 * k, BigInt(x), little);
        break;
      case 'uint64':
        v.setBigUint64(off + 8 * k, BigInt(x), little);
        break;
      case 'float16':
        v.setUint16(off + 2 * k, float16Bits(Number(x)), little);
        break;
      case 'float32':
        v.setFloat32(off + 4 * k, Number(x), little);
        break;
      case 'float64':
        v.setFloat64(off + 8 * k, Number(x), little);
        break;
    }
  }
}

/**
 * Converts between C and Fortran order. `toFortran` = true: input is C order, output Fortran order;
 * false: input Fortran, output C. Same typed-array class as the input.
 */
function reorder<T extends NpyData>(data: T, shape: readonly number[], toFortran: boolean): T {
  const n = data.length;
  const out = new (data.constructor as new (n: number) => T)(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // Fortran strides: stride[0] = 1, stride[k] = stride[k−1]·shape[k−1]
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fStride[k] = s;
    s *= shape[k] as number;
  }
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let k = 0; k < nd; k++) f += (idx[k] as number) * (fStride[k] as number);
    if (toFortran) (out as { [k: number]: unknown })[f] = data[c];
    else (out as { [k: number]: unknown })[c] = data[f];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (shape[k] as number)) break;
      idx[k] = 0;
    }
  }
  return out;
}
