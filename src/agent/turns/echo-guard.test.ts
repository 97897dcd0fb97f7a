import { describe, expect, it } from 'vitest';
import { speech2Fixture, speechFixture } from '../../../test/helpers/wav.js';
import { EchoDetector, PlayedReference } from './echo-guard.js';

const FRAME = 480; // 20 ms at 24 kHz

/** Plays `played` from t=0; feeds `incoming` frame by frame from `delayMs`; returns the echo share. */
function echoShare(
  played: Int16Array,
  incoming: Int16Array,
  delayMs: number,
  gain = 1,
  /** When frame `index` (due at `dueMs`) is handed over; default on time. */
  arrival: (index: number, dueMs: number) => number = (_i, dueMs) => dueMs,
): number {
  const ref = new PlayedReference();
  // The reference keeps 3 s: record what plays in the window the test looks at.
  for (let i = 0; i < Math.min(played.length, 24000 * 2.8); i += FRAME) {
    ref.played(played.subarray(i, i + FRAME), 24000, (i / FRAME) * 20);
  }
  const detector = new EchoDetector(ref);
  let echo = 0;
  let loud = 0;
  for (let i = 0; i + FRAME <= incoming.length && (i / FRAME) * 20 < 2500; i += FRAME) {
    const frame = incoming.subarray(i, i + FRAME).map((v) => Math.round(v * gain));
    const index = i / FRAME;
    const isEcho = detector.isEcho(frame, arrival(index, delayMs + index * 20 + 20));
    if (Math.max(...frame.map(Math.abs)) > 1000) {
      loud += 1;
      echo += isEcho ? 1 : 0;
    }
  }
  return echo / loud;
}

describe('echo guard (pure)', () => {
  const a = speechFixture(24000).samples;
  const b = speech2Fixture(24000).samples;

  it("recognises the agent's own voice coming back late and quieter", () => {
    expect(echoShare(a, a, 180, 0.3)).toBeGreaterThan(0.8);
    expect(echoShare(a, a, 500, 0.5)).toBeGreaterThan(0.8);
  });

  it('does not take another voice for echo while the agent talks', () => {
    expect(echoShare(a, b, 180)).toBeLessThan(0.15);
  });

  it('keeps recognising echo when a busy event loop hands frames over in bursts', () => {
    // Five frames (100 ms) at a time, each burst up to 100 ms late: what a stalled process sees.
    const bursty = (index: number, dueMs: number): number => dueMs + (4 - (index % 5)) * 20;
    expect(echoShare(a, a, 180, 0.3, bursty)).toBeGreaterThan(0.8);
    expect(echoShare(a, b, 180, 1, bursty)).toBeLessThan(0.15);
  });

  it('never flags anything when the agent has played nothing', () => {
    const ref = new PlayedReference();
    const detector = new EchoDetector(ref);
    for (let i = 0; i + FRAME <= a.length; i += FRAME) {
      expect(detector.isEcho(a.subarray(i, i + FRAME), 1000 + (i / FRAME) * 20)).toBe(false);
    }
  });
});
