import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { AudioFrame } from './audio-frame.js';

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isShoalError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

describe('AudioFrame', { timeout: 5_000 }, () => {
  it('derives samplesPerChannel and durationMs', () => {
    const mono = new AudioFrame(new Int16Array(320), 16_000);
    expect(mono.channels).toBe(1);
    expect(mono.samplesPerChannel).toBe(320);
    expect(mono.durationMs).toBe(20);
    const stereo = new AudioFrame(new Int16Array(1920), 48_000, 2);
    expect(stereo.samplesPerChannel).toBe(960);
    expect(stereo.durationMs).toBe(20);
  });

  it('rejects bad rates, channel counts and lengths with INVALID_AUDIO', () => {
    expectCode(() => new AudioFrame(new Int16Array(10), 0), 'INVALID_AUDIO');
    expectCode(() => new AudioFrame(new Int16Array(10), 16_000.5), 'INVALID_AUDIO');
    expectCode(() => new AudioFrame(new Int16Array(10), 16_000, 0), 'INVALID_AUDIO');
    expectCode(() => new AudioFrame(new Int16Array(11), 16_000, 2), 'INVALID_AUDIO');
    expectCode(
      () => new AudioFrame(new Uint8Array(4) as unknown as Int16Array, 16_000),
      'INVALID_AUDIO',
    );
  });

  it('reads little-endian bytes without copying when aligned', () => {
    const bytes = new Uint8Array([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
    const frame = AudioFrame.fromPcm16leBytes(bytes, 16_000);
    expect(Array.from(frame.data)).toEqual([1, -1, -32768, 32767]);
    expect(frame.data.buffer).toBe(bytes.buffer);
    // Round trip is a view of the same memory.
    const back = frame.toPcm16leBytes();
    expect(back.buffer).toBe(bytes.buffer);
    expect(Array.from(back)).toEqual(Array.from(bytes));
  });

  it('copies when the bytes start at an odd offset', () => {
    const backing = new Uint8Array([0xaa, 0x34, 0x12, 0xcd, 0xab]);
    const bytes = backing.subarray(1);
    expect(bytes.byteOffset % 2).toBe(1);
    const frame = AudioFrame.fromPcm16leBytes(bytes, 24_000);
    expect(Array.from(frame.data)).toEqual([0x1234, 0xabcd - 0x10000]);
    expect(frame.data.buffer).not.toBe(backing.buffer);
    expect(frame.sampleRateHz).toBe(24_000);
  });

  it('rejects an odd byte length and lengths that do not fit the channels', () => {
    expectCode(() => AudioFrame.fromPcm16leBytes(new Uint8Array(3), 16_000), 'INVALID_AUDIO');
    expectCode(() => AudioFrame.fromPcm16leBytes(new Uint8Array(6), 16_000, 2), 'INVALID_AUDIO');
  });

  it('makes silence of a given duration', () => {
    const frame = AudioFrame.silence(20, 48_000);
    expect(frame.data.length).toBe(960);
    expect(frame.data.every((v) => v === 0)).toBe(true);
  });
});
