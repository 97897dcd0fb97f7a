import type { RawData } from 'ws';

/** A received frame as one byte array (fragmented frames are joined). */
export function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A close reason is at most 123 bytes on the wire; `ws` throws on a longer one. */
export function closeReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) {
    out = out.slice(0, -1);
  }
  return out;
}
