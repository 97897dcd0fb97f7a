import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { packetizeOpus, parseRtp, serializeRtp } from './rtp-packet.js';
import { sequenceAdd, sequenceDiff } from './sequence-number.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('Opus RTP packets', { timeout: 5_000 }, () => {
  it('writes the RFC 3550 header byte for byte', () => {
    const bytes = packetizeOpus({
      payload: Uint8Array.of(0xf8, 0xff, 0xfe),
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      payloadType: 111,
      marker: true,
    });
    expect(Array.from(bytes)).toEqual([
      0x80,
      0x80 | 111,
      0x12,
      0x34,
      0xde,
      0xad,
      0xbe,
      0xef,
      0x01,
      0x02,
      0x03,
      0x04,
      0xf8,
      0xff,
      0xfe,
    ]);
  });

  it('round-trips through parseRtp', () => {
    const payload = Uint8Array.from({ length: 80 }, (_, i) => i);
    const bytes = packetizeOpus({
      payload,
      sequenceNumber: 65535,
      timestamp: 4294967295,
      ssrc: 42,
      payloadType: 96,
    });
    const packet = parseRtp(bytes);
    expect(packet).toMatchObject({
      marker: false,
      payloadType: 96,
      sequenceNumber: 65535,
      timestamp: 4294967295,
      ssrc: 42,
      csrcs: [],
      extension: undefined,
      paddingLength: 0,
    });
    expect(packet.payload).toEqual(payload);
    // The payload is a view of the packet, not a copy.
    expect(packet.payload.buffer).toBe(bytes.buffer);
  });

  it('parses CSRCs, a header extension and padding', () => {
    const extension = { profile: 0xbede, data: Uint8Array.of(0x10, 0xff, 0x00, 0x00) };
    const bytes = serializeRtp({
      payloadType: 111,
      sequenceNumber: 7,
      timestamp: 960,
      ssrc: 1,
      csrcs: [0xaabbccdd, 5],
      extension,
      paddingLength: 3,
      payload: Uint8Array.of(1, 2, 3, 4, 5),
    });
    expect(bytes[0]).toBe(0x80 | 0x20 | 0x10 | 2);
    expect(bytes.length).toBe(12 + 8 + 4 + 4 + 5 + 3);
    const packet = parseRtp(bytes);
    expect(packet.csrcs).toEqual([0xaabbccdd, 5]);
    expect(packet.extension?.profile).toBe(0xbede);
    expect(packet.extension?.data).toEqual(extension.data);
    expect(packet.paddingLength).toBe(3);
    expect(Array.from(packet.payload)).toEqual([1, 2, 3, 4, 5]);
  });

  it('parses a packet that starts at an odd offset of a larger buffer', () => {
    const bytes = packetizeOpus({
      payload: Uint8Array.of(9),
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      payloadType: 111,
    });
    const backing = new Uint8Array(bytes.length + 5);
    backing.set(bytes, 3);
    const packet = parseRtp(backing.subarray(3, 3 + bytes.length));
    expect(packet).toMatchObject({ sequenceNumber: 1, timestamp: 2, ssrc: 3 });
    expect(Array.from(packet.payload)).toEqual([9]);
  });

  it('rejects malformed packets with INVALID_AUDIO', () => {
    const good = packetizeOpus({
      payload: Uint8Array.of(1, 2, 3, 4),
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      payloadType: 111,
    });
    const withFirst = (first: number): Uint8Array => {
      const copy = good.slice();
      copy[0] = first;
      return copy;
    };
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 11), // shorter than the header
      withFirst(0x40), // version 1
      withFirst(0x80 | 0x0f), // 15 CSRCs announced, 4 bytes present
      withFirst(0x80 | 0x10), // extension announced: length field runs past the end
      (() => {
        const p = withFirst(0x80 | 0x20);
        p[p.length - 1] = 0; // padding length 0
        return p;
      })(),
      (() => {
        const p = withFirst(0x80 | 0x20);
        p[p.length - 1] = 200; // more padding than payload
        return p;
      })(),
    ];
    for (const bytes of cases) {
      expect(
        isShoalError(
          thrownBy(() => parseRtp(bytes)),
          'INVALID_AUDIO',
        ),
      ).toBe(true);
    }
    expect(
      isShoalError(
        thrownBy(() => parseRtp('nope' as unknown as Uint8Array)),
        'INVALID_AUDIO',
      ),
    ).toBe(true);
  });

  it('rejects out-of-range fields and empty Opus payloads', () => {
    const base = {
      payload: Uint8Array.of(1),
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: 0,
      payloadType: 111,
    };
    for (const bad of [
      { payloadType: 128 },
      { sequenceNumber: 65536 },
      { sequenceNumber: -1 },
      { timestamp: 2 ** 32 },
      { ssrc: 1.5 },
    ]) {
      expect(
        isShoalError(
          thrownBy(() => packetizeOpus({ ...base, ...bad })),
          'BAD_REQUEST',
        ),
      ).toBe(true);
    }
    expect(
      isShoalError(
        thrownBy(() => packetizeOpus({ ...base, payload: new Uint8Array(0) })),
        'INVALID_AUDIO',
      ),
    ).toBe(true);
  });
});

describe('sequence numbers', { timeout: 5_000 }, () => {
  it('compare and add across the 16-bit wrap', () => {
    expect(sequenceDiff(0, 65535)).toBe(1);
    expect(sequenceDiff(65535, 0)).toBe(-1);
    expect(sequenceDiff(5, 65530)).toBe(11);
    expect(sequenceDiff(100, 100)).toBe(0);
    expect(sequenceDiff(32767, 0)).toBe(32767);
    expect(sequenceDiff(32768, 0)).toBe(-32768);
    expect(sequenceAdd(65535, 1)).toBe(0);
    expect(sequenceAdd(0, -1)).toBe(65535);
  });
});
