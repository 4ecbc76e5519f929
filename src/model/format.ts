/**
 * The `.gmmseg` model file codec: pure functions between `ModelFile` and bytes (no Node APIs, so it also runs
 * in the browser; file and fetch handlers live in `cli/` and `web/`).
 *
 * Byte layout (all integers little-endian, written through DataView so big-endian hosts produce the same bytes):
 *
 * | offset        | size | content                                                                   |
 * |---------------|------|---------------------------------------------------------------------------|
 * | 0             | 8    | magic `GMMSEG\r\n` (47 4D 4D 53 45 47 0D 0A); the CR LF exposes text-mode damage |
 * | 8             | 4    | uint32 format version (`FORMAT_VERSION`)                                  |
 * | 12            | 4    | uint32 header byte length H                                               |
 * | 16            | 4    | uint32 CRC32 (IEEE) of the H header bytes                                 |
 * | 20            | 4    | uint32 flags, reserved, must be 0                                         |
 * | 24            | H    | UTF-8 JSON header (`ModelHeader`)                                         |
 * | 24 + H        | pad  | zero bytes up to the data offset P = ceil((24 + H) / 64) · 64            |
 * | P             | L    | data section: tensors in row-major order, little-endian, each at a header |
 * |               |      | `offset` (relative to P) that is a multiple of 64; zero bytes in between  |
 *
 * The file ends exactly at P + L (L = header `dataByteLength`); the header's `dataCrc32` covers those L bytes.
 * Decoding validates everything (magic, version, lengths, both CRCs, the JSON, the tensor table) before it
 * returns, and every problem is a `FormatError`. Returned tensor data are fresh copies with their own
 * ArrayBuffer (byteOffset 0), never views into the input bytes.
 */
import { FormatError, ShapeError, ValueError } from '../errors.js';
import { crc32 } from './crc32.js';
import type { ModelFile, ModelHeader, NamedTensor, Preamble, TensorDType, TensorEntry } from './model-types.js';

/** The format version this code writes and reads. */
export const FORMAT_VERSION = 1;
/** The 8 magic bytes, as text. */
export const MAGIC = 'GMMSEG\r\n';
/** Byte length of the fixed preamble (magic, version, header length, header CRC, flags). */
export const PREAMBLE_BYTE_LENGTH = 24;
/** Alignment of the data section and of every tensor offset, in bytes. */
export const DATA_ALIGNMENT = 64;
/** Usual file name extension. */
export const FILE_EXTENSION = '.gmmseg';

const ITEM_SIZE: Readonly<Record<TensorDType, number>> = { float32: 4, int32: 4, uint8: 1 };
const ARRAY_TYPE = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array } as const;
const MAX_JSON_DEPTH = 64;
const HEADER_KEYS = [
  'formatVersion',
  'config',
  'classes',
  'preprocessing',
  'metrics',
  'calibration',
  'tensors',
  'dataByteLength',
  'dataCrc32',
  'createdBy',
];
const ENTRY_KEYS = ['name', 'dtype', 'shape', 'offset', 'byteLength'];
const SECTIONS = ['config', 'preprocessing', 'metrics', 'calibration'] as const;

/** Options of `encodeModel`. */
export interface EncodeOptions {
  /** Stored in the header's `createdBy`; default 'gmmseg'. */
  createdBy?: string;
}

/** Rounds `n` up to a multiple of `DATA_ALIGNMENT`. */
export function alignUp(n: number): number {
  return Math.ceil(n / DATA_ALIGNMENT) * DATA_ALIGNMENT;
}

/** True when this host stores typed-array elements little-endian (every mainstream CPU). */
export function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * The little-endian bytes of a tensor's data: a view of `data` on little-endian hosts, a byte-swapped copy
 * otherwise. `hostLittleEndian` is a parameter only so tests can exercise both paths.
 */
export function tensorToLittleEndian(data: NamedTensor['data'], hostLittleEndian = isLittleEndianHost()): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Uint8Array || hostLittleEndian) return bytes;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else data.forEach((v, i) => view.setInt32(4 * i, v, true));
  return out;
}

/** A fresh typed array (own buffer) from little-endian `bytes` (length a multiple of the item size). */
export function tensorFromLittleEndian(
  bytes: Uint8Array,
  dtype: TensorDType,
  hostLittleEndian = isLittleEndianHost(),
): NamedTensor['data'] {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes); // not bytes.slice(): on a Node Buffer that is a view, not a copy
  if (dtype === 'uint8') return copy;
  if (hostLittleEndian) return new ARRAY_TYPE[dtype](copy.buffer);
  const n = bytes.length / 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new ARRAY_TYPE[dtype](n);
  for (let i = 0; i < n; i++) out[i] = dtype === 'float32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  return out;
}

/**
 * Encodes a model into the `.gmmseg` byte layout above. Deterministic: the same model gives the same bytes.
 * Throws ValueError (non-JSON values such as NaN or undefined in a section, bad dtype or name) or ShapeError
 * (data length ≠ prod(shape)) naming the offending path.
 *
 * @example const bytes = encodeModel({ config: {}, classes: ['a'], preprocessing: {}, metrics: {}, calibration: {},
 *   tensors: { 'gmm.means': { dtype: 'float32', shape: [1, 1, 2], data: new Float32Array([0, 1]) } } });
 */
export function encodeModel(m: ModelFile, options: EncodeOptions = {}): Uint8Array {
  checkModel(m);
  const createdBy = options.createdBy ?? 'gmmseg';
  if (typeof createdBy !== 'string') throw new ValueError('encodeModel: options.createdBy must be a string');
  const named = Object.entries(m.tensors);
  const entries: TensorEntry[] = [];
  const zeros = new Uint8Array(DATA_ALIGNMENT);
  let cursor = 0;
  let dataCrc32 = 0;
  for (const [name, t] of named) {
    const offset = alignUp(cursor);
    dataCrc32 = crc32(zeros.subarray(0, offset - cursor), dataCrc32);
    dataCrc32 = crc32(tensorToLittleEndian(t.data), dataCrc32);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset, byteLength: t.data.byteLength });
    cursor = offset + t.data.byteLength;
  }
  const { config, classes, preprocessing, metrics, calibration } = m;
  const header: ModelHeader = {
    formatVersion: FORMAT_VERSION,
    config,
    classes,
    preprocessing,
    metrics,
    calibration,
    tensors: entries,
    dataByteLength: cursor,
    dataCrc32,
    createdBy,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  if (headerBytes.length > 0xffffffff) throw new ValueError('encodeModel: header JSON exceeds 4 GiB');
  const dataOffset = alignUp(PREAMBLE_BYTE_LENGTH + headerBytes.length);
  const out = new Uint8Array(dataOffset + cursor);
  writePreamble(out, headerBytes.length, crc32(headerBytes));
  out.set(headerBytes, PREAMBLE_BYTE_LENGTH);
  named.forEach(([, t], i) => out.set(tensorToLittleEndian(t.data), dataOffset + (entries[i] as TensorEntry).offset));
  return out;
}

function writePreamble(out: Uint8Array, headerByteLength: number, headerCrc32: number): void {
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer, out.byteOffset, PREAMBLE_BYTE_LENGTH);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, headerByteLength, true);
  view.setUint32(16, headerCrc32, true);
  view.setUint32(20, 0, true);
}

/** Validates the encoder's input; throws ValueError / ShapeError naming the path. */
function checkModel(m: ModelFile): void {
  if (!isPlainObject(m)) throw new ValueError('encodeModel: the model must be a plain object');
  for (const key of SECTIONS) {
    if (!isPlainObject(m[key])) throw new ValueError(`encodeModel: '${key}' must be a plain object`);
    checkJson(m[key], key, 0);
  }
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === 'string')) {
    throw new ValueError("encodeModel: 'classes' must be an array of strings");
  }
  if (!isPlainObject(m.tensors)) throw new ValueError("encodeModel: 'tensors' must be a plain object");
  for (const [name, t] of Object.entries(m.tensors)) checkTensor(name, t);
}

function checkTensor(name: string, t: NamedTensor): void {
  const where = `encodeModel: tensor '${name}'`;
  if (name.length === 0) throw new ValueError('encodeModel: tensor names must be non-empty');
  if (!isPlainObject(t)) throw new ValueError(`${where} must be an object { dtype, shape, data }`);
  if (typeof t.dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, t.dtype)) {
    throw new ValueError(`${where} has dtype ${String(t.dtype)}; valid: ${Object.keys(ITEM_SIZE).join(', ')}`);
  }
  if (!(t.data instanceof ARRAY_TYPE[t.dtype])) {
    throw new ValueError(
      `${where} has dtype '${t.dtype}' but its data is ${describe(t.data)}, expected ${ARRAY_TYPE[t.dtype].name}`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(`${where} has shape ${JSON.stringify(t.shape)}; dims must be non-negative integers`);
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new ShapeError(
      `${where} has shape [${t.shape.join(', ')}] (${count} elements) but ${t.data.length} data elements`,
    );
  }
}

/** Rejects values that JSON cannot round-trip exactly (NaN, ±Infinity, undefined, functions, class instances). */
function checkJson(v: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new ValueError(`encodeModel: '${path}' is nested too deep (or circular)`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return;
    throw new ValueError(`encodeModel: '${path}' is ${v}, which JSON cannot store; store null instead`);
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(x, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) checkJson(x, `${path}.${k}`, depth + 1);
    return;
  }
  throw new ValueError(`encodeModel: '${path}' is ${describe(v)}, which is not a JSON value`);
}

function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (v === undefined || typeof v !== 'object') return String(v);
  return `a ${(v as object).constructor?.name ?? 'null-prototype object'}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Reads and checks the 24-byte preamble: magic, version, header length, flags. */
export function decodePreamble(bytes: Uint8Array): Preamble {
  if (!(bytes instanceof Uint8Array)) throw new ValueError('decodePreamble: expected the file bytes as a Uint8Array');
  checkMagic(bytes);
  needBytes(bytes, 12, 'the format version');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = view.getUint32(8, true);
  if (formatVersion !== FORMAT_VERSION) {
    throw new FormatError(
      `file has format version ${formatVersion}; this gmmseg reads version ${FORMAT_VERSION}; ` +
        're-export the model with a matching gmmseg version',
    );
  }
  needBytes(bytes, PREAMBLE_BYTE_LENGTH, 'the preamble');
  const headerByteLength = view.getUint32(12, true);
  const headerCrc32 = view.getUint32(16, true);
  const flags = view.getUint32(20, true);
  if (flags !== 0) throw new FormatError(`corrupt: reserved flags are 0x${hex(flags)}, expected 0`);
  const dataOffset = alignUp(PREAMBLE_BYTE_LENGTH + headerByteLength);
  return { formatVersion, headerByteLength, headerCrc32, flags, dataOffset };
}

/** Decodes only the preamble and JSON header (enough for `inspect`); the data section need not be present. */
export function decodeHeader(bytes: Uint8Array): ModelHeader {
  return readHeader(bytes, decodePreamble(bytes));
}

/** Decodes and fully validates a model file (both CRCs, tensor table, exact length). Throws only FormatError. */
export function decodeModel(bytes: Uint8Array): ModelFile {
  const p = decodePreamble(bytes);
  const header = readHeader(bytes, p);
  const end = checkFileByteLength(p, header, bytes.length);
  const start = PREAMBLE_BYTE_LENGTH + p.headerByteLength;
  if (bytes.subarray(start, p.dataOffset).some((b) => b !== 0)) {
    throw new FormatError('corrupt: padding between header and data is not zero');
  }
  const data = bytes.subarray(p.dataOffset, end);
  const crc = crc32(data);
  if (crc !== header.dataCrc32) {
    throw new FormatError(`corrupt: data CRC mismatch (stored 0x${hex(header.dataCrc32)}, computed 0x${hex(crc)})`);
  }
  const tensors = Object.fromEntries(
    header.tensors.map((e): [string, NamedTensor] => [
      e.name,
      {
        dtype: e.dtype,
        shape: e.shape,
        data: tensorFromLittleEndian(data.subarray(e.offset, e.offset + e.byteLength), e.dtype),
      },
    ]),
  );
  const { config, classes, preprocessing, metrics, calibration } = header;
  return { config, classes, preprocessing, metrics, calibration, tensors };
}

/**
 * Checks that a file of `byteLength` bytes ends exactly where the header says the data section ends
 * (FormatError 'truncated' or 'unexpected bytes' otherwise) and returns that length.
 */
export function checkFileByteLength(p: Preamble, header: ModelHeader, byteLength: number): number {
  const end = p.dataOffset + header.dataByteLength;
  if (byteLength < end)
    throw new FormatError(`truncated: expected at least ${end} bytes (to hold the tensor data), got ${byteLength}`);
  if (byteLength > end) {
    throw new FormatError(
      `corrupt: ${byteLength - end} unexpected bytes after the end of the data (the file should have ${end} bytes, has ${byteLength})`,
    );
  }
  return end;
}

function readHeader(bytes: Uint8Array, p: Preamble): ModelHeader {
  const end = PREAMBLE_BYTE_LENGTH + p.headerByteLength;
  needBytes(bytes, end, 'the header');
  const headerBytes = bytes.subarray(PREAMBLE_BYTE_LENGTH, end);
  const crc = crc32(headerBytes);
  if (crc !== p.headerCrc32) {
    throw new FormatError(`corrupt: header CRC mismatch (stored 0x${hex(p.headerCrc32)}, computed 0x${hex(crc)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new FormatError(`invalid header JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return validateHeader(json);
}

function validateHeader(json: unknown): ModelHeader {
  if (!isPlainObject(json)) throw new FormatError('invalid header: the JSON header is not an object');
  checkKeys(json, HEADER_KEYS, 'header');
  if (json['formatVersion'] !== FORMAT_VERSION) {
    throw new FormatError(
      `invalid header: formatVersion is ${JSON.stringify(json['formatVersion'])}, the preamble says ${FORMAT_VERSION}`,
    );
  }
  for (const key of SECTIONS) {
    if (!isPlainObject(json[key])) throw new FormatError(`invalid header: '${key}' is not an object`);
  }
  const classes = json['classes'];
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    throw new FormatError("invalid header: 'classes' is not an array of strings");
  }
  const dataByteLength = safeUint(json['dataByteLength'], 'dataByteLength');
  const dataCrc32 = safeUint(json['dataCrc32'], 'dataCrc32');
  if (dataCrc32 > 0xffffffff) throw new FormatError('invalid header: dataCrc32 exceeds 32 bits');
  if (typeof json['createdBy'] !== 'string') throw new FormatError("invalid header: 'createdBy' is not a string");
  if (!Array.isArray(json['tensors'])) throw new FormatError("invalid header: 'tensors' is not an array");
  const tensors = json['tensors'].map((e: unknown, i: number) => validateEntry(e, i, dataByteLength));
  checkTable(tensors);
  const { config, preprocessing, metrics, calibration, createdBy } = json as unknown as ModelHeader;
  return {
    formatVersion: FORMAT_VERSION,
    config,
    classes,
    preprocessing,
    metrics,
    calibration,
    tensors,
    dataByteLength,
    dataCrc32,
    createdBy,
  };
}

function validateEntry(e: unknown, i: number, dataByteLength: number): TensorEntry {
  if (!isPlainObject(e)) throw new FormatError(`invalid tensor table: entry ${i} is not an object`);
  checkKeys(e, ENTRY_KEYS, `tensor table entry ${i}`);
  const name = e['name'];
  if (typeof name !== 'string' || name.length === 0)
    throw new FormatError(`invalid tensor table: entry ${i} has no name`);
  const where = `invalid tensor table: tensor '${name}'`;
  const dtype = e['dtype'];
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
    throw new FormatError(
      `${where} has unknown dtype ${JSON.stringify(dtype)}; valid: ${Object.keys(ITEM_SIZE).join(', ')}`,
    );
  }
  const shape = e['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(`${where} has shape ${JSON.stringify(shape)}; dims must be non-negative integers`);
  }
  const offset = safeUint(e['offset'], `tensor '${name}' offset`);
  const byteLength = safeUint(e['byteLength'], `tensor '${name}' byteLength`);
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype as TensorDType];
  if (byteLength !== expected) {
    throw new FormatError(
      `${where} has shape [${shape.join(', ')}] and dtype ${dtype} (${expected} bytes) but byteLength ${byteLength}`,
    );
  }
  if (offset % DATA_ALIGNMENT !== 0)
    throw new FormatError(`${where} has offset ${offset}, not a multiple of ${DATA_ALIGNMENT}`);
  if (offset + byteLength > dataByteLength) {
    throw new FormatError(
      `${where} spans bytes ${offset}..${offset + byteLength}, beyond the data section (${dataByteLength} bytes)`,
    );
  }
  return { name, dtype: dtype as TensorDType, shape: shape as number[], offset, byteLength };
}

/** Duplicate names and overlapping byte ranges. */
function checkTable(entries: TensorEntry[]): void {
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new FormatError(`invalid tensor table: duplicate tensor name '${e.name}'`);
    names.add(e.name);
  }
  const sorted = entries.filter((e) => e.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TensorEntry;
    const cur = sorted[i] as TensorEntry;
    if (cur.offset < prev.offset + prev.byteLength) {
      throw new FormatError(`invalid tensor table: tensors '${prev.name}' and '${cur.name}' overlap`);
    }
  }
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of allowed)
    if (!Object.hasOwn(obj, key)) throw new FormatError(`invalid header: ${where} lacks '${key}'`);
  for (const key of Object.keys(obj))
    if (!allowed.includes(key)) throw new FormatError(`invalid header: ${where} has unknown key '${key}'`);
}

function safeUint(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new FormatError(`invalid header: ${what} is ${JSON.stringify(v)}, expected a non-negative integer`);
}

function needBytes(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length < n)
    throw new FormatError(`truncated: expected at least ${n} bytes (to hold ${what}), got ${bytes.length}`);
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** Throws a FormatError when `bytes` does not start with the magic, naming the format it looks like. */
function checkMagic(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, MAGIC.length);
  let ok = true;
  for (let i = 0; i < n; i++) ok &&= bytes[i] === MAGIC.charCodeAt(i);
  if (ok && bytes.length === 0) throw new FormatError('not a gmmseg model file: it is empty (0 bytes)');
  if (ok && n < MAGIC.length) needBytes(bytes, PREAMBLE_BYTE_LENGTH, 'the preamble');
  if (ok) return;
  const like = sniffFormat(bytes);
  throw new FormatError(
    `not a gmmseg model file: ${like ?? `its first bytes are ${hexBytes(bytes.subarray(0, 8))}, expected ${hexBytes(MAGIC)}`}`,
  );
}

function hexBytes(b: Uint8Array | string): string {
  const arr = typeof b === 'string' ? Array.from(b, (c) => c.charCodeAt(0)) : Array.from(b);
  return arr.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Names a few well-known formats from their leading bytes (for the bad-magic message). */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  const text = String.fromCharCode(...bytes.subarray(0, 16));
  if (text.startsWith('GMMSEG\n'))
    return 'it looks like a gmmseg file whose CR LF became LF (a text-mode transfer); copy it in binary mode';
  if (text.startsWith('GMMSEG\r\r\n'))
    return 'it looks like a gmmseg file whose LF became CR LF (a text-mode transfer); copy it in binary mode';
  if (text.startsWith('GMMSEG')) return 'its magic bytes are damaged';
  if (text.startsWith('\x89PNG\r\n\x1a\n')) return 'it looks like a PNG image';
  if (text.startsWith('\xff\xd8\xff')) return 'it looks like a JPEG image';
  if (text.startsWith('\x1f\x8b')) return 'it looks like gzip-compressed data; decompress it first';
  if (text.startsWith('PK\x03\x04')) return 'it looks like a ZIP archive (e.g. a PyTorch .pt/.pth checkpoint)';
  if (text.startsWith('\x93NUMPY')) return 'it looks like a NumPy .npy array';
  if (text.startsWith('\x89HDF\r\n\x1a\n')) return 'it looks like an HDF5 file (e.g. a Keras .h5 model)';
  if (bytes.length > 9 && bytes[8] === 0x7b && bytes.subarray(4, 8).every((b) => b === 0))
    return 'it looks like a safetensors file';
  if (/^(\xef\xbb\xbf)?\s*[{[]/.test(text))
    return 'it looks like JSON text (e.g. a config or a TensorFlow.js model.json), not a binary gmmseg model';
  return undefined;
}
