import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import {
  bestLagCorrelation,
  envelope,
  generateSine,
  generateSpeechLike,
  peakFrequency,
  rmsDbfs,
  seededRandom,
  toneAmplitude,
} from '../pcm/index.js';
import { createOpusDecoder } from './opus-decoder.js';
import { createOpusEncoder } from './opus-encoder.js';
import type { OpusEncoder } from './opus-encoder.js';
import { concealmentPacket, parseOpusToc } from './opus-toc.js';

const FRAME = 960;

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function encodeAll(encoder: OpusEncoder, pcm: Int16Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset + FRAME <= pcm.length; offset += FRAME) {
    packets.push(encoder.encode(pcm.subarray(offset, offset + FRAME)));
  }
  return packets;
}

function join(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe('Opus round trip', { timeout: 15_000 }, () => {
  it('keeps a 1 kHz tone: level within 1.5 dB, spectral peak at 1 kHz', () => {
    const source = generateSine({ frequencyHz: 1000, sampleRateHz: 48_000, durationMs: 1000 });
    const encoder = createOpusEncoder();
    const decoder = createOpusDecoder();
    const packets = encodeAll(encoder, source);
    expect(packets).toHaveLength(50);
    const decoded = packets.map((p) => decoder.decode(p));
    for (const frame of decoded) {
      expect(frame).toHaveLength(FRAME);
    }
    // Skip 100 ms: codec delay (6.5 ms) and encoder start-up.
    const steady = join(decoded).subarray(4800);
    expect(Math.abs(rmsDbfs(steady) - rmsDbfs(source))).toBeLessThan(1.5);
    expect(peakFrequency(steady.subarray(0, 9600), 48_000, 50).frequencyHz).toBe(1000);
    const tone = toneAmplitude(steady, 48_000, 1000);
    expect(20 * Math.log10(toneAmplitude(steady, 48_000, 3000) / tone)).toBeLessThan(-30);
  });

  it('keeps a speech-like envelope (correlation ≥ 0.9, aligned within one frame)', () => {
    const source = generateSpeechLike({ sampleRateHz: 48_000, durationMs: 3000, seed: 2 });
    const encoder = createOpusEncoder({ complexity: 5 });
    const decoder = createOpusDecoder();
    const decoded = join(encodeAll(encoder, source).map((p) => decoder.decode(p)));
    expect(decoded.length).toBe(source.length);
    const best = bestLagCorrelation(envelope(source, 48_000), envelope(decoded, 48_000), 5);
    expect(best.correlation).toBeGreaterThan(0.9);
    expect(Math.abs(best.lagFrames)).toBeLessThanOrEqual(1);
    expect(Math.abs(rmsDbfs(decoded) - rmsDbfs(source))).toBeLessThan(2);
  });

  it('encodes near the target bitrate and honours complexity', () => {
    const source = generateSpeechLike({ sampleRateHz: 48_000, durationMs: 2000, seed: 4 });
    for (const complexity of [0, 5, 10]) {
      const encoder = createOpusEncoder({ complexity, bitrateBps: 32_000 });
      expect(encoder.complexity).toBe(complexity);
      const packets = encodeAll(encoder, source);
      const meanBytes = packets.reduce((n, p) => n + p.length, 0) / packets.length;
      // 32 kbps = 80 bytes per 20 ms; VBR wanders around it.
      expect(meanBytes).toBeGreaterThan(30);
      expect(meanBytes).toBeLessThan(130);
      expect(packets.every((p) => p instanceof Uint8Array && p.length > 0)).toBe(true);
    }
  });
});

describe('OpusEncoder input checks', { timeout: 5_000 }, () => {
  it('rejects frames of the wrong length or type with INVALID_AUDIO', () => {
    const encoder = createOpusEncoder();
    for (const bad of [
      new Int16Array(0),
      new Int16Array(959),
      new Int16Array(961),
      new Int16Array(4000),
    ]) {
      expect(
        isShoalError(
          thrownBy(() => encoder.encode(bad)),
          'INVALID_AUDIO',
        ),
      ).toBe(true);
    }
    const notSamples = new Uint8Array(1920) as unknown as Int16Array;
    expect(
      isShoalError(
        thrownBy(() => encoder.encode(notSamples)),
        'INVALID_AUDIO',
      ),
    ).toBe(true);
    // Still usable, and other Opus frame sizes work.
    expect(encoder.encode(new Int16Array(960)).length).toBeGreaterThan(0);
    expect(encoder.encode(new Int16Array(480)).length).toBeGreaterThan(0);
  });

  it('rejects bad options with BAD_REQUEST', () => {
    expect(
      isShoalError(
        thrownBy(() => createOpusEncoder({ complexity: 11 })),
        'BAD_REQUEST',
      ),
    ).toBe(true);
    expect(
      isShoalError(
        thrownBy(() => createOpusEncoder({ bitrateBps: 10 })),
        'BAD_REQUEST',
      ),
    ).toBe(true);
  });

  it('close() is idempotent; encode() after it throws CLOSED', () => {
    const encoder = createOpusEncoder();
    encoder.close();
    encoder.close();
    expect(
      isShoalError(
        thrownBy(() => encoder.encode(new Int16Array(960))),
        'CLOSED',
      ),
    ).toBe(true);
  });
});

describe('OpusDecoder', { timeout: 15_000 }, () => {
  it('turns corrupt packets into INVALID_AUDIO and keeps working', () => {
    const encoder = createOpusEncoder();
    const decoder = createOpusDecoder();
    const good = encoder.encode(
      generateSine({ frequencyHz: 440, sampleRateHz: 48_000, durationMs: 20 }),
    );
    const corrupt = [
      new Uint8Array(0), // empty
      Uint8Array.of(0x03, 0x00), // code 3 with zero frames
      Uint8Array.of(0xfb, 0x07), // code 3: 7 × 20 ms > 120 ms
      Uint8Array.of(0x01, 0xaa), // code 1 needs an even payload
      Uint8Array.of(0x02, 0xfc, 0xff), // code 2: first frame longer than the packet
    ];
    for (const packet of corrupt) {
      expect(
        isShoalError(
          thrownBy(() => decoder.decode(packet)),
          'INVALID_AUDIO',
        ),
      ).toBe(true);
    }
    expect(decoder.decode(good)).toHaveLength(960);
  });

  it('survives 3000 random packets: each decodes or throws INVALID_AUDIO', () => {
    const decoder = createOpusDecoder();
    const random = seededRandom(99);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const packet = Uint8Array.from({ length: 1 + Math.floor(random() * 200) }, () =>
        Math.floor(random() * 256),
      );
      const err = thrownBy(() => {
        const pcm = decoder.decode(packet);
        expect(pcm.length % 120).toBe(0);
      });
      if (err !== undefined) {
        expect(isShoalError(err, 'INVALID_AUDIO')).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it('conceals losses with libopus PLC: right length, continues then fades', () => {
    const fresh = createOpusDecoder();
    const silence = fresh.decodeLost();
    expect(silence).toHaveLength(960);
    expect(silence.every((v) => v === 0)).toBe(true);

    const encoder = createOpusEncoder();
    const decoder = createOpusDecoder();
    const source = generateSine({ frequencyHz: 440, sampleRateHz: 48_000, durationMs: 2000 });
    const packets = encodeAll(encoder, source);
    for (const packet of packets.slice(0, 50)) {
      decoder.decode(packet);
    }
    const levels: number[] = [];
    for (let i = 0; i < 5; i++) {
      const concealed = decoder.decodeLost(20);
      expect(concealed).toHaveLength(960);
      levels.push(rmsDbfs(concealed));
    }
    // The first concealed frame carries the tone on (not silence), later ones fade.
    expect(levels[0]).toBeGreaterThan(rmsDbfs(source) - 12);
    expect(levels[4]).toBeLessThan((levels[0] ?? 0) - 20);
    // Longer gaps in one call, and decoding resumes afterwards.
    expect(decoder.decodeLost(60)).toHaveLength(2880);
    expect(decoder.decodeLost(10)).toHaveLength(480);
    expect(decoder.decodeLost(50)).toHaveLength(2400);
    const resumed = join(packets.slice(60, 70).map((p) => decoder.decode(p)));
    expect(rmsDbfs(resumed.subarray(4800))).toBeGreaterThan(rmsDbfs(source) - 3);
  });

  it('fades concealment to silence past the limit, and starts afresh after a packet', () => {
    // CELT concealment (application 'audio') would otherwise hold a steady noise.
    const encoder = createOpusEncoder({ application: 'audio' });
    const decoder = createOpusDecoder({ concealmentLimitMs: 100 });
    const packets = encodeAll(
      encoder,
      generateSine({ frequencyHz: 440, sampleRateHz: 48_000, durationMs: 2000 }),
    );
    for (const packet of packets.slice(0, 50)) {
      decoder.decode(packet);
    }
    const gap = [1, 2, 3, 4, 5, 6, 7].map(() => decoder.decodeLost(20));
    const levels = gap.map((frame) => rmsDbfs(frame));
    for (const level of levels.slice(0, 4)) {
      expect(level).toBeGreaterThan(-25);
    }
    // 80–100 ms fades out (ending at zero), then silence.
    expect(levels[4]).toBeLessThan((levels[3] ?? 0) - 3);
    const peak = (frame: Int16Array | undefined): number =>
      (frame ?? new Int16Array(1)).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // The gain is ≤ 5 % over the last millisecond of the fade.
    expect(peak(gap[4]?.subarray(912))).toBeLessThanOrEqual(0.06 * peak(gap[3]));
    expect(levels[5]).toBe(-Infinity);
    expect(levels[6]).toBe(-Infinity);
    for (const packet of packets.slice(57, 61)) {
      decoder.decode(packet);
    }
    expect(rmsDbfs(decoder.decodeLost(20))).toBeGreaterThan(-30);

    const off = createOpusDecoder({ concealmentLimitMs: 0 });
    off.decode(packets[0] as Uint8Array);
    expect(off.decodeLost(40).every((v) => v === 0)).toBe(true);
    expect(
      isShoalError(
        thrownBy(() => createOpusDecoder({ concealmentLimitMs: -1 })),
        'BAD_REQUEST',
      ),
    ).toBe(true);
  });

  it('rejects concealment lengths that are not multiples of 10 ms', () => {
    const decoder = createOpusDecoder();
    for (const bad of [0, -20, 15, 6000, Number.NaN]) {
      expect(
        isShoalError(
          thrownBy(() => decoder.decodeLost(bad)),
          'BAD_REQUEST',
        ),
      ).toBe(true);
    }
  });

  it('close() is idempotent; decode() after it throws CLOSED', () => {
    const decoder = createOpusDecoder();
    decoder.close();
    decoder.close();
    expect(
      isShoalError(
        thrownBy(() => decoder.decode(Uint8Array.of(0xf8))),
        'CLOSED',
      ),
    ).toBe(true);
    expect(
      isShoalError(
        thrownBy(() => decoder.decodeLost()),
        'CLOSED',
      ),
    ).toBe(true);
  });
});

describe('Opus TOC', { timeout: 5_000 }, () => {
  it('parses mode, frame duration, stereo and code', () => {
    expect(parseOpusToc(0x78)).toEqual({
      config: 15,
      mode: 'hybrid',
      frameDurationMs: 20,
      stereo: false,
      frameCountCode: 0,
    });
    expect(parseOpusToc(0xfc | 3)).toMatchObject({
      config: 31,
      mode: 'celt',
      frameDurationMs: 20,
      stereo: true,
      frameCountCode: 3,
    });
    expect(parseOpusToc(0x18)).toMatchObject({ mode: 'silk', frameDurationMs: 60 });
    expect(parseOpusToc(0x80)).toMatchObject({ mode: 'celt', frameDurationMs: 2.5 });
  });

  it('builds one-byte concealment packets in the last mode', () => {
    // SILK WB 60 ms → SILK WB 20 ms; hybrid FB 10 ms → 20 ms; CELT SWB 5 ms stereo → 10 ms stereo.
    expect(parseOpusToc(concealmentPacket(0x5b, 20)[0] ?? 0)).toMatchObject({
      mode: 'silk',
      config: 9,
      frameCountCode: 0,
    });
    expect(parseOpusToc(concealmentPacket(0x70, 20)[0] ?? 0)).toMatchObject({
      mode: 'hybrid',
      config: 15,
    });
    const celt = parseOpusToc(concealmentPacket((25 << 3) | 0x04 | 1, 10)[0] ?? 0);
    expect(celt).toEqual({
      config: 26,
      mode: 'celt',
      frameDurationMs: 10,
      stereo: true,
      frameCountCode: 0,
    });
    expect(concealmentPacket(0x78, 20)).toHaveLength(1);
  });
});

describe('OpusEncoder modes', { timeout: 15_000 }, () => {
  it('application and signal reach libopus', () => {
    const source = generateSpeechLike({ sampleRateHz: 48_000, durationMs: 1000, seed: 8 });
    const modesOf = (encoder: OpusEncoder): Set<string> =>
      new Set(encodeAll(encoder, source).map((p) => parseOpusToc(p[0] ?? 0).mode));
    // At 32 kbps: 'audio' codes in CELT, 'voip' (speech tuning) in hybrid SILK+CELT.
    expect(modesOf(createOpusEncoder({ application: 'audio', complexity: 5 }))).toEqual(
      new Set(['celt']),
    );
    expect(modesOf(createOpusEncoder({ application: 'voip', complexity: 5 }))).not.toContain(
      'celt',
    );
    expect(modesOf(createOpusEncoder({ complexity: 10, signal: 'voice' }))).not.toContain('celt');
    expect(modesOf(createOpusEncoder({ complexity: 10, signal: 'music' }))).toEqual(
      new Set(['celt']),
    );
    expect(
      isShoalError(
        thrownBy(() => createOpusEncoder({ application: 'x' as 'voip' })),
        'BAD_REQUEST',
      ),
    ).toBe(true);
  });
});
