import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MediaClock, type Tickable } from './clock.js';

function recorder(): Tickable & { dues: number[] } {
  const dues: number[] = [];
  return { dues, tick: (_i, dueMs) => dues.push(dueMs) };
}

describe('MediaClock', () => {
  it('plays every track once per 20 ms, spread over phases', async () => {
    const clock = new MediaClock(pino({ level: 'silent' }), { frameMs: 20, phases: 4 });
    const tracks = Array.from({ length: 8 }, recorder);
    for (const t of tracks) {
      clock.add(t);
    }
    await new Promise((r) => setTimeout(r, 410));
    clock.close();
    for (const t of tracks) {
      // ~20 frames in 400 ms, each exactly 20 ms after the last.
      expect(t.dues.length).toBeGreaterThanOrEqual(18);
      expect(t.dues.length).toBeLessThanOrEqual(22);
      const gaps = t.dues.slice(1).map((d, i) => d - (t.dues[i] as number));
      expect(new Set(gaps.map((g) => Math.round(g * 1000) / 1000))).toEqual(new Set([20]));
    }
    // Two tracks per phase: four distinct offsets within the period.
    const offsets = new Set(tracks.map((t) => Math.round((t.dues[0] as number) % 20)));
    expect(offsets.size).toBe(4);
  });

  it('removes a track that throws and keeps the others playing', async () => {
    const clock = new MediaClock(pino({ level: 'silent' }), { frameMs: 20, phases: 1 });
    const good = recorder();
    clock.add({
      tick: () => {
        throw new Error('boom');
      },
    });
    clock.add(good);
    await new Promise((r) => setTimeout(r, 110));
    expect(clock.size).toBe(1);
    expect(good.dues.length).toBeGreaterThanOrEqual(4);
    clock.close();
  });
});
