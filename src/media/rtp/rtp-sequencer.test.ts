import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { packetizeOpus, parseRtp } from './rtp-packet.js';
import { RtpSequencer } from './rtp-sequencer.js';

describe('RtpSequencer', { timeout: 5_000 }, () => {
  it('starts from random values', () => {
    const a = new RtpSequencer();
    const b = new RtpSequencer();
    // Three independent 16/32-bit values all colliding is (practically) impossible.
    expect(
      a.ssrc === b.ssrc &&
        a.nextSequenceNumber === b.nextSequenceNumber &&
        a.nextTimestamp === b.nextTimestamp,
    ).toBe(false);
    for (const s of [a, b]) {
      expect(s.nextSequenceNumber).toBeGreaterThanOrEqual(0);
      expect(s.nextSequenceNumber).toBeLessThan(65536);
      expect(s.nextTimestamp).toBeLessThan(2 ** 32);
      expect(s.payloadType).toBe(111);
    }
  });

  it('advances seq by 1 and timestamp by 960 per 20 ms, wrapping both', () => {
    const s = new RtpSequencer({
      ssrc: 5,
      initialSequenceNumber: 65534,
      initialTimestamp: 2 ** 32 - 960,
    });
    expect(s.next()).toEqual({ sequenceNumber: 65534, timestamp: 2 ** 32 - 960, marker: false });
    expect(s.next()).toEqual({ sequenceNumber: 65535, timestamp: 0, marker: false });
    expect(s.next(20, true)).toEqual({ sequenceNumber: 0, timestamp: 960, marker: true });
    s.skip(100);
    expect(s.next(10)).toMatchObject({ sequenceNumber: 1, timestamp: 960 + 960 + 4800 });
    expect(s.nextTimestamp).toBe(960 + 960 + 4800 + 480);
    expect(
      isShoalError(
        (() => {
          try {
            s.next(0.01);
          } catch (e) {
            return e;
          }
        })(),
        'BAD_REQUEST',
      ),
    ).toBe(true);
  });

  it('packetize() writes parsable Opus RTP with its numbering', () => {
    const s = new RtpSequencer({
      ssrc: 0xcafe,
      payloadType: 109,
      initialSequenceNumber: 10,
      initialTimestamp: 1000,
    });
    const first = parseRtp(s.packetize(Uint8Array.of(0xf8, 1), { marker: true }));
    const second = parseRtp(s.packetize(Uint8Array.of(0xf8, 2)));
    expect(first).toMatchObject({
      ssrc: 0xcafe,
      payloadType: 109,
      sequenceNumber: 10,
      timestamp: 1000,
      marker: true,
    });
    expect(second).toMatchObject({ sequenceNumber: 11, timestamp: 1960, marker: false });
  });

  it('rewrites forwarded packets: own SSRC/PT, gaps and order kept, continuity across sources', () => {
    const out = new RtpSequencer({
      ssrc: 777,
      payloadType: 111,
      initialSequenceNumber: 65534,
      initialTimestamp: 100,
    });
    const from = (ssrc: number, seq: number, ts: number, pt = 96) =>
      parseRtp(
        packetizeOpus({
          payload: Uint8Array.of(seq & 0xff),
          sequenceNumber: seq,
          timestamp: ts,
          ssrc,
          payloadType: pt,
        }),
      );

    const a1 = parseRtp(out.rewrite(from(1, 5000, 90_000)));
    expect(a1).toMatchObject({
      ssrc: 777,
      payloadType: 111,
      sequenceNumber: 65534,
      timestamp: 100,
      marker: true,
    });
    expect(Array.from(a1.payload)).toEqual([5000 & 0xff]);
    const a2 = parseRtp(out.rewrite(from(1, 5001, 90_960)));
    expect(a2).toMatchObject({ sequenceNumber: 65535, timestamp: 1060, marker: false });
    // A gap of one packet stays a gap (the receiver conceals it); the wrap is followed.
    const a4 = parseRtp(out.rewrite(from(1, 5003, 92_880)));
    expect(a4).toMatchObject({ sequenceNumber: 1, timestamp: 2980 });
    // The late packet slots into its old place without moving the stream on.
    const a3 = parseRtp(out.rewrite(from(1, 5002, 91_920)));
    expect(a3).toMatchObject({ sequenceNumber: 0, timestamp: 2020 });
    expect(out.nextSequenceNumber).toBe(2);

    // Another source continues our numbering right after the newest packet, marked.
    const b1 = parseRtp(out.rewrite(from(2, 40, 7)));
    expect(b1).toMatchObject({ ssrc: 777, sequenceNumber: 2, timestamp: 3940, marker: true });
    const b2 = parseRtp(out.rewrite(from(2, 41, 967)));
    expect(b2).toMatchObject({ sequenceNumber: 3, timestamp: 4900, marker: false });

    // Our own packet in between, then forwarding resumes after it.
    expect(out.next()).toMatchObject({ sequenceNumber: 4, timestamp: 5860 });
    const b3 = parseRtp(out.rewrite(from(2, 42, 1927)));
    expect(b3).toMatchObject({ sequenceNumber: 5, timestamp: 6820, marker: true });
  });

  it('drops CSRCs, extensions and padding when rewriting', () => {
    const out = new RtpSequencer({ ssrc: 1, initialSequenceNumber: 0, initialTimestamp: 0 });
    const forwarded = {
      ...parseRtp(
        packetizeOpus({
          payload: Uint8Array.of(1, 2),
          sequenceNumber: 9,
          timestamp: 9,
          ssrc: 9,
          payloadType: 96,
        }),
      ),
      csrcs: [3],
      extension: { profile: 0xbede, data: new Uint8Array(4) },
      paddingLength: 2,
    };
    const bytes = out.rewrite(forwarded);
    expect(bytes.length).toBe(12 + 2);
    expect(parseRtp(bytes)).toMatchObject({ csrcs: [], extension: undefined, paddingLength: 0 });
  });

  it('rejects out-of-range options', () => {
    for (const options of [
      { ssrc: -1 },
      { payloadType: 200 },
      { initialSequenceNumber: 70_000 },
      { clockRateHz: 0 },
    ]) {
      let caught: unknown;
      try {
        new RtpSequencer(options);
      } catch (err) {
        caught = err;
      }
      expect(isShoalError(caught, 'BAD_REQUEST')).toBe(true);
    }
  });
});
