/** Pixel dimensions from the header of a PNG, JPEG or WebP file, without decoding the image. */

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

export const IMAGE_MIME: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** The format and size, or undefined when `data` is none of the three formats or its header is cut short. */
export function imageInfo(data: Buffer): ImageInfo | undefined {
  try {
    return pngInfo(data) ?? jpegInfo(data) ?? webpInfo(data);
  } catch {
    return undefined; // RangeError: header shorter than its own length fields
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngInfo(d: Buffer): ImageInfo | undefined {
  if (d.length < 24 || !d.subarray(0, 8).equals(PNG_SIGNATURE) || d.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { format: 'png', width: d.readUInt32BE(16), height: d.readUInt32BE(20) };
}

/** Walks the JPEG marker segments up to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC). */
function jpegInfo(d: Buffer): ImageInfo | undefined {
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= d.length) {
    if (d[i] !== 0xff) return undefined;
    const marker = d[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2; // standalone marker, no length
      continue;
    }
    const length = d.readUInt16BE(i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { format: 'jpeg', height: d.readUInt16BE(i + 5), width: d.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  return undefined;
}

function webpInfo(d: Buffer): ImageInfo | undefined {
  if (d.length < 30 || d.toString('latin1', 0, 4) !== 'RIFF' || d.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = d.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    // Lossy: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    if (d[23] !== 0x9d || d[24] !== 0x01 || d[25] !== 0x2a) return undefined;
    return { format: 'webp', width: d.readUInt16LE(26) & 0x3fff, height: d.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Lossless: signature 0x2f, then (width-1) and (height-1) as two 14-bit fields.
    if (d[20] !== 0x2f) return undefined;
    const bits = d.readUInt32LE(21);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Extended: 24-bit (canvas width-1) and (canvas height-1).
    return { format: 'webp', width: d.readUIntLE(24, 3) + 1, height: d.readUIntLE(27, 3) + 1 };
  }
  return undefined;
}
