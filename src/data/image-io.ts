/**
 * Pure image codecs over bytes (no file system): photos to RGB with sharp, label PNGs to raw indices with
 * fast-png (palette PNGs keep their indices, never expanded to colours), and PNG/JPEG/WebP encoding.
 * `file` arguments only name the source in error messages.
 */
import sharp, { type Metadata } from 'sharp';
import { decode as decodePng, encode as encodePngRaw, hasPngSignature } from 'fast-png';
import { FormatError, ShapeError } from '../errors.js';
import type { LabelMap, RgbImage } from './sample.js';

/** Width and height of an image. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Decodes an image file (JPEG, PNG, WebP, TIFF, GIF…) to `[H, W, 3]` RGB uint8: alpha is dropped, grey and
 * CMYK are converted to sRGB, 16-bit samples are reduced to 8 bits. EXIF orientation is not applied, so pixels
 * stay aligned with label maps stored in the same orientation.
 */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = info;
    const rgb =
      channels === 3
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : toRgb(data, channels, width * height);
    return { width, height, data: rgb };
  } catch (err) {
    throw new FormatError(`decodeImage: '${file}' is not a readable image (${messageOf(err)})`);
  }
}

/** Reads only the header of an image file: its width and height. */
export async function imageSize(bytes: Uint8Array, file: string): Promise<ImageSize> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new FormatError(`imageSize: '${file}' is not a readable image (${messageOf(err)})`);
  }
  if (!meta.width || !meta.height) throw new FormatError(`imageSize: '${file}' has no width/height in its header`);
  return { width: meta.width, height: meta.height };
}

/**
 * Decodes a label PNG to raw single-channel values `[H, W]` uint8: greyscale values as stored, palette
 * PNGs as their palette indices (1/2/4-bit packed rows are unpacked). Rejects colour or alpha PNGs (a
 * colour-coded label must be converted to class indices first), 16-bit values above 255, and corrupt files.
 */
export function decodeLabelPng(bytes: Uint8Array, file: string): LabelMap {
  if (!hasPngSignature(bytes)) throw new FormatError(`decodeLabelPng: '${file}' is not a PNG file (bad signature)`);
  checkPngClaim(bytes, file);
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (err) {
    throw new FormatError(`decodeLabelPng: '${file}' is a corrupt PNG (${messageOf(err)})`);
  }
  const { width, height, channels, depth } = png;
  if (channels !== 1) {
    const kind =
      channels === 2 ? 'grey+alpha' : channels === 3 ? 'RGB' : channels === 4 ? 'RGBA' : `${channels}-channel`;
    throw new FormatError(
      `decodeLabelPng: '${file}' is a ${kind} PNG with ${channels} channels; label PNGs must be single-channel class indices (greyscale or palette)`,
    );
  }
  const n = width * height;
  const data = new Uint8Array(n);
  if (depth === 8) {
    if (png.data.length < n)
      throw new FormatError(`decodeLabelPng: '${file}' holds ${png.data.length} values, expected ${n}`);
    data.set(png.data.subarray(0, n));
  } else if (depth === 16) {
    for (let i = 0; i < n; i++) {
      const v = png.data[i] as number;
      if (v > 255)
        throw new FormatError(
          `decodeLabelPng: '${file}' is a 16-bit PNG with value ${v} at pixel ${i}; label values must fit in 0..255`,
        );
      data[i] = v;
    }
  } else {
    unpackBits(png.data as Uint8Array, depth, width, height, data);
  }
  return { width, height, data };
}

/** Encodes `[H, W, 3]` RGB as an 8-bit PNG (fast-png, deterministic bytes). */
export function encodeRgbPng(image: RgbImage): Uint8Array {
  checkLength(image.data.length, image.width * image.height * 3, 'image', 'encodeRgbPng');
  return encodePngRaw({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 });
}

/**
 * Encodes `[H, W]` values as an 8-bit single-channel PNG: greyscale, or a palette PNG (raw indices, as VOC
 * stores them) when `palette` (one `[r, g, b]` per index, up to 256) is given.
 */
export function encodeLabelPng(map: LabelMap, palette?: readonly (readonly number[])[]): Uint8Array {
  checkLength(map.data.length, map.width * map.height, 'map', 'encodeLabelPng');
  const base = { width: map.width, height: map.height, data: map.data, channels: 1, depth: 8 as const };
  return encodePngRaw(palette ? { ...base, palette: palette.map((c) => [...c]) } : base);
}

/** Encodes `[H, W, 3]` RGB with sharp as PNG, JPEG or WebP (`quality` for the lossy two). */
export async function encodeImage(image: RgbImage, format: 'png' | 'jpeg' | 'webp', quality = 90): Promise<Uint8Array> {
  checkLength(image.data.length, image.width * image.height * 3, 'image', 'encodeImage');
  const s = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  const out = format === 'png' ? s.png() : format === 'jpeg' ? s.jpeg({ quality }) : s.webp({ quality });
  return new Uint8Array(await out.toBuffer());
}

/** Deflate's largest expansion: one compressed byte never gives more than 1032 bytes. */
const DEFLATE_MAX_RATIO = 1032;

/** Samples per pixel of each PNG colour type (grey, RGB, palette, grey+alpha, RGBA). */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Refuses a PNG whose header claims more pixel bytes than its compressed data could ever hold (a corrupt or hostile
 * size, e.g. 60000×60000 in a 100-byte file), before the decoder allocates for it. Only reads the chunk table;
 * anything it cannot make sense of is left to the decoder.
 */
function checkPngClaim(bytes: Uint8Array, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: { width: number; height: number; depth: number; channels: number } | undefined;
  let compressed = 0;
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IHDR' && length >= 13 && at + 8 + 13 <= bytes.length) {
      const channels = PNG_CHANNELS[bytes[at + 17] as number] ?? 1;
      header = {
        width: view.getUint32(at + 8),
        height: view.getUint32(at + 12),
        depth: bytes[at + 16] as number,
        channels,
      };
    }
    if (type === 'IDAT') compressed += Math.min(length, bytes.length - at - 8);
    at += 12 + length;
  }
  if (!header) return;
  const { width, height, depth, channels } = header;
  const need = height * (Math.ceil((width * channels * depth) / 8) + 1); // rows of pixel bytes, each with a filter byte
  if (need > DEFLATE_MAX_RATIO * compressed + 1024)
    throw new FormatError(
      `decodeLabelPng: '${file}' is a corrupt PNG (its header claims ${width}x${height} pixels, more than its ${compressed} compressed bytes can hold)`,
    );
}

function toRgb(data: Uint8Array, channels: number, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * channels + Math.min(c, channels - 1)] as number;
  }
  return rgb;
}

function unpackBits(packed: Uint8Array, depth: number, width: number, height: number, out: Uint8Array): void {
  const perByte = 8 / depth;
  const rowBytes = Math.ceil(width / perByte);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = packed[y * rowBytes + Math.floor(x / perByte)] as number;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
}

function checkLength(actual: number, expected: number, arg: string, fn: string): void {
  if (actual !== expected) throw new ShapeError(`${fn}: argument '${arg}' has ${actual} values, expected ${expected}`);
}

function messageOf(err: unknown): string {
  const m = (err instanceof Error ? err.message : String(err)).trim();
  return m === '' ? 'the decoder gave no reason' : m;
}
