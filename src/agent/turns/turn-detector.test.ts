import { describe, expect, it } from 'vitest';
import { FloorPolicy } from './floor.js';
import { TurnDetector, type TurnEvent } from './turn-detector.js';

/** Feeds probabilities, one per `frameMs`, and collects the events with their frame index. */
function run(
  detector: TurnDetector,
  probabilities: number[],
  frameMs = 20,
): (TurnEvent & { frame: number })[] {
  const out: (TurnEvent & { frame: number })[] = [];
  probabilities.forEach((p, frame) => {
    for (const e of detector.push(p, frameMs)) {
      out.push({ ...e, frame });
    }
  });
  return out;
}

const repeat = (p: number, n: number): number[] => Array<number>(n).fill(p);

describe('TurnDetector (pure)', () => {
  it('opens a turn after startSpeechMs of speech and ends it after exactly endOfTurnSilenceMs of silence', () => {
    const d = new TurnDetector({ endOfTurnSilenceMs: 500, startSpeechMs: 60 });
    const events = run(d, [...repeat(0, 10), ...repeat(0.9, 50), ...repeat(0.1, 30)]);
    expect(events.map((e) => e.type)).toEqual(['speechStart', 'pause', 'turnEnd']);
    expect(events[0]).toMatchObject({ startMs: 200, frame: 12 });
    const end = events[2] as Extract<TurnEvent, { type: 'turnEnd' }> & { frame: number };
    expect(end.speechEndMs).toBe(1200);
    expect(end.decidedMs - end.speechEndMs).toBe(500);
    expect(end.frame).toBe(60 + 24);
    expect(end.voicedMs).toBe(1000);
    expect(end.forced).toBe(false);
    expect(d.inTurn).toBe(false);
  });

  it('a pause shorter than the end-of-turn silence keeps one turn', () => {
    const d = new TurnDetector({ endOfTurnSilenceMs: 500 });
    const events = run(d, [
      ...repeat(0.9, 20),
      ...repeat(0, 20),
      ...repeat(0.9, 20),
      ...repeat(0, 30),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'speechStart',
      'pause',
      'resume',
      'pause',
      'turnEnd',
    ]);
  });

  it('uses hysteresis: values between the thresholds keep speaking going', () => {
    const d = new TurnDetector({ activation: 0.5, deactivation: 0.35 });
    const events = run(d, [...repeat(0.9, 10), ...repeat(0.4, 40), ...repeat(0, 30)]);
    const end = events.find((e) => e.type === 'turnEnd') as Extract<TurnEvent, { type: 'turnEnd' }>;
    expect(end.speechEndMs).toBe(1000);
  });

  it('short blips are misfires, not turns; isolated frames never start one', () => {
    const d = new TurnDetector({ minSpeechMs: 150, startSpeechMs: 60 });
    expect(run(d, [0.9, 0, 0.9, 0, 0.9, 0, ...repeat(0, 30)]).map((e) => e.type)).toEqual([]);
    const events = run(d, [...repeat(0.9, 5), ...repeat(0, 30)]);
    expect(events.map((e) => e.type)).toEqual(['speechStart', 'pause', 'misfire']);
  });

  it('cuts a turn at maxTurnMs and flushes an open turn', () => {
    const d = new TurnDetector({ maxTurnMs: 1000 });
    const events = run(d, repeat(0.9, 60));
    const forced = events.find((e) => e.type === 'turnEnd') as Extract<
      TurnEvent,
      { type: 'turnEnd' }
    > & { frame: number };
    expect(forced.forced).toBe(true);
    expect(forced.frame).toBe(49);
    const d2 = new TurnDetector();
    run(d2, repeat(0.9, 20));
    expect(d2.voicedMs).toBe(400);
    expect(d2.flush().map((e) => e.type)).toEqual(['turnEnd']);
    expect(d2.flush()).toEqual([]);
  });

  it('works at Silero frame sizes (32 ms)', () => {
    const d = new TurnDetector({ endOfTurnSilenceMs: 500 });
    const events = run(d, [...repeat(0.9, 30), ...repeat(0.05, 20)], 32);
    const end = events.find((e) => e.type === 'turnEnd') as Extract<TurnEvent, { type: 'turnEnd' }>;
    expect(end.decidedMs - end.speechEndMs).toBe(512);
  });

  it('rejects nonsense options', () => {
    expect(() => new TurnDetector({ activation: 0.2, deactivation: 0.5 })).toThrow(/deactivation/);
    expect(() => new TurnDetector({ endOfTurnSilenceMs: -1 })).toThrow(/endOfTurnSilenceMs/);
  });
});

describe('FloorPolicy (pure)', () => {
  it('first-come: the first speaker holds the floor until released', () => {
    const f = new FloorPolicy('first-come');
    expect(f.request('a')).toBe(true);
    expect(f.request('b')).toBe(false);
    expect(f.allows('b')).toBe(false);
    expect(f.release('b')).toBe(false);
    expect(f.release('a')).toBe(true);
    expect(f.request('b')).toBe(true);
    expect(f.holder).toBe('b');
  });

  it('any: everyone may speak', () => {
    const f = new FloorPolicy('any');
    expect(f.request('a')).toBe(true);
    expect(f.request('b')).toBe(true);
    expect(f.holder).toBeUndefined();
  });
});
