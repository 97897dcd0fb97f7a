/** 16-bit RTP sequence-number arithmetic (RFC 3550 §A.1 style, wrap at 2^16). */

export const SEQUENCE_MODULO = 0x1_0000;

/** a − b as a signed distance in −32768…32767: positive when a is after b (across the wrap). */
export function sequenceDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** a + n, wrapped to 16 bits. */
export function sequenceAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}
