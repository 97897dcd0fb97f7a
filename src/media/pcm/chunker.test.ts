import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { Chunker } from './chunker.js';

function ramp(start: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => start + i);
}

describe('Chunker', { timeout: 5_000 }, () => {
  it('cuts arbitrary pushes into whole 20 ms frames in order', () => {
    const chunker = new Chunker({ sampleRateHz: 16_000 });
    expect(chunker.frameLength).toBe(320);
    const sizes = [1, 100, 219, 320, 640, 7, 500, 13];
    const frames: Int16Array[] = [];
    let next = 0;
    for (const size of sizes) {
      frames.push(...chunker.push(ramp(next, size)));
      next += size;
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(frames).toHaveLength(Math.floor(total / 320));
    frames.forEach((frame, k) => {
      expect(frame).toHaveLength(320);
      expect(frame[0]).toBe(k * 320);
      expect(frame[319]).toBe(k * 320 + 319);
    });
    expect(chunker.bufferedSamples).toBe(total % 320);
    expect(chunker.bufferedMs).toBeCloseTo(((total % 320) / 16_000) * 1000, 9);
  });

  it('returns frames the caller owns (not views of its input or its buffer)', () => {
    const chunker = new Chunker({ sampleRateHz: 16_000 });
    const input = ramp(0, 640);
    const [a, b] = chunker.push(input);
    input.fill(0);
    expect(a?.[5]).toBe(5);
    expect(b?.[5]).toBe(325);
    chunker.push(ramp(1000, 100));
    const [c] = chunker.push(ramp(1100, 220));
    chunker.push(ramp(-50, 300));
    expect(c?.[0]).toBe(1000);
    expect(c?.[319]).toBe(1319);
  });

  it('flush() zero-pads the remainder to a whole frame, then is empty', () => {
    const chunker = new Chunker({ sampleRateHz: 24_000 });
    expect(chunker.flush()).toBeUndefined();
    chunker.push(ramp(1, 100));
    const last = chunker.flush();
    expect(last).toHaveLength(480);
    expect(last?.[99]).toBe(100);
    expect(last?.subarray(100).every((v) => v === 0)).toBe(true);
    expect(chunker.bufferedMs).toBe(0);
    expect(chunker.flush()).toBeUndefined();
  });

  it('reset() drops what is held', () => {
    const chunker = new Chunker({ sampleRateHz: 48_000 });
    chunker.push(ramp(0, 500));
    chunker.reset();
    expect(chunker.bufferedSamples).toBe(0);
    const [frame] = chunker.push(ramp(7, 960));
    expect(frame?.[0]).toBe(7);
  });

  it('handles interleaved channels and other frame lengths', () => {
    const chunker = new Chunker({ sampleRateHz: 48_000, channels: 2, frameDurationMs: 10 });
    expect(chunker.frameLength).toBe(960);
    expect(chunker.push(new Int16Array(1500))).toHaveLength(1);
    expect(chunker.bufferedMs).toBeCloseTo((540 / 2 / 48_000) * 1000, 9);
    expect(() => chunker.push(new Int16Array(3))).toThrow(/multiple/);
  });

  it('rejects frame lengths that are not whole samples', () => {
    let caught: unknown;
    try {
      new Chunker({ sampleRateHz: 44_100, frameDurationMs: 2.5 });
    } catch (err) {
      caught = err;
    }
    expect(isShoalError(caught, 'BAD_REQUEST')).toBe(true);
  });
});
