// Typed arrays to and from base64, for JSON snapshots and checkpoints: the exact bytes (NaN, -0 and
// all), little-endian as the machine stores them.

export function toBase64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** A fresh, unpooled byte array (safe to view as any typed array of a matching length). */
export function bytesFromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export function float64FromBase64(s: string): Float64Array {
  const bytes = bytesFromBase64(s);
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`${bytes.byteLength} bytes are not a whole number of float64s`);
  return new Float64Array(bytes.buffer);
}
