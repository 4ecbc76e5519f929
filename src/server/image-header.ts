/**
 * Reads an uploaded image's format and size from its first bytes, without decompressing anything, so that a
 * decompression bomb (a small file whose header declares e.g. 20000×20000 pixels) is refused before any decoder
 * allocates memory for it. Accepts exactly the formats the service decodes: PNG, JPEG and WebP.
 *
 * - PNG: 8-byte signature, then the IHDR chunk: width and height as big-endian uint32 at bytes 16 and 20.
 * - JPEG: SOI (FF D8), then marker segments until a start-of-frame SOFn (C0–CF except C4, C8, CC): height and
 *   width as big-endian uint16 at offsets 5 and 7 of the segment.
 * - WebP: `RIFF····WEBP` then the first chunk: `VP8X` (canvas size − 1 as 24-bit little-endian at data bytes 4
 *   and 7), `VP8L` (signature 0x2F, then 14-bit width − 1 and height − 1) or `VP8 ` (key frame start code
 *   9D 01 2A, then 14-bit width and height).
 */

/** Image formats the service accepts. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** Format and size declared by an image header. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The header is missing, truncated or not one of the accepted formats; the message says which. */
export class ImageHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageHeaderError';
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Format and declared size of `bytes`; throws ImageHeaderError when it is not a readable PNG/JPEG/WebP header. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ImageHeaderError(`the data is not a PNG, JPEG or WebP image (first bytes: ${head})`);
  }
  const size = format === 'png' ? pngSize(bytes) : format === 'jpeg' ? jpegSize(bytes) : webpSize(bytes);
  if (size.width < 1 || size.height < 1)
    throw new ImageHeaderError(
      `the ${format.toUpperCase()} header declares an empty image (${size.width}×${size.height})`,
    );
  return { format, ...size };
}

/** The format named by the magic bytes, if accepted. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return undefined;
}

function pngSize(b: Uint8Array): { width: number; height: number } {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR')
    throw new ImageHeaderError('the PNG file is truncated or corrupt: no IHDR chunk after the signature');
  const v = view(b);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

function jpegSize(b: Uint8Array): { width: number; height: number } {
  const v = view(b);
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new ImageHeaderError(`the JPEG file is corrupt: expected a marker at byte ${i}`);
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan before any frame header
    const length = v.getUint16(i + 2);
    if (isStartOfFrame(marker)) {
      if (i + 9 > b.length) break;
      return { height: v.getUint16(i + 5), width: v.getUint16(i + 7) };
    }
    i += 2 + length;
  }
  throw new ImageHeaderError('the JPEG file is truncated or corrupt: no frame header (SOF) with the image size');
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function webpSize(b: Uint8Array): { width: number; height: number } {
  const truncated = (): ImageHeaderError =>
    new ImageHeaderError('the WebP file is truncated or corrupt: no readable VP8/VP8L/VP8X header');
  if (b.length < 30) throw truncated();
  const chunk = ascii(b, 12, 4);
  const d = 20; // chunk data
  const v = view(b);
  if (chunk === 'VP8X') {
    const u24 = (o: number): number => (b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16);
    return { width: u24(d + 4) + 1, height: u24(d + 7) + 1 };
  }
  if (chunk === 'VP8L') {
    if (b[d] !== 0x2f) throw truncated();
    const bits = v.getUint32(d + 1, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') {
    if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) throw truncated();
    return { width: v.getUint16(d + 6, true) & 0x3fff, height: v.getUint16(d + 8, true) & 0x3fff };
  }
  throw truncated();
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function ascii(b: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...b.subarray(offset, offset + length));
}
