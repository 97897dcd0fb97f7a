import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFrame, initResamplers } from '../../media/pcm/index.js';
import { TypedEmitter } from '../../protocol/index.js';
import { speech2Fixture, speechFixture } from '../../../test/helpers/wav.js';
import { silentLogger } from '../logger.js';
import type { AgentSessionEvents } from '../session.js';
import { PlayedReference } from './echo-guard.js';
import { TurnTaking, type BargeInEvent, type Turn } from './turn-taking.js';
import type { VadEngine } from './vad.js';

/** Just what TurnTaking uses of a session. */
class FakeSession extends TypedEmitter<AgentSessionEvents> {
  readonly inputSampleRateHz = 24000 as const;
  readonly log = silentLogger();
  readonly played = new PlayedReference();
  speaking = false;
  readonly bargeIns: string[] = [];
  readonly warnings: unknown[] = [];
  warn(error: unknown): void {
    this.warnings.push(error);
  }
  bargeIn(peerId: string): BargeInEvent {
    this.bargeIns.push(peerId);
    this.speaking = false;
    return { peerId, decidedAtMs: performance.now(), cleared: [] };
  }
}

const FRAME = 480;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Feeds speakers' audio in 20 ms steps at 4× real time (arrival times on a virtual clock). */
async function play(
  session: FakeSession,
  streams: Record<string, Int16Array>,
  totalMs: number,
  t0 = performance.now(),
): Promise<void> {
  for (let ms = 0; ms < totalMs; ms += 20) {
    for (const [peerId, samples] of Object.entries(streams)) {
      const i = (ms / 20) * FRAME;
      const data = new Int16Array(FRAME);
      data.set(samples.subarray(Math.min(i, samples.length), Math.min(i + FRAME, samples.length)));
      session.emit('audio', peerId, new AudioFrame(data, 24000), t0 + ms);
    }
    if (ms % 80 === 0) {
      await sleep(5);
    }
  }
}

function delayed(samples: Int16Array, ms: number): Int16Array {
  const out = new Int16Array(samples.length + (ms / 20) * FRAME);
  out.set(samples, (ms / 20) * FRAME);
  return out;
}

beforeAll(() => initResamplers());

describe('TurnTaking over a session (energy VAD, deterministic)', () => {
  it('first-come floor: the first speaker holds it; the other is ignored until it frees', async () => {
    const session = new FakeSession();
    const tt = new TurnTaking(session, {
      vad: 'energy',
      floor: 'first-come',
    });
    const turns: Turn[] = [];
    const floor: (string | undefined)[] = [];
    tt.on('turn', (t) => turns.push(t));
    tt.on('floor', (h) => floor.push(h));
    const a = speechFixture(24000).samples;
    const b = speech2Fixture(24000).samples;
    // b starts 1 s into a (ignored: a holds the floor); b speaks again after a is done.
    const bStream = new Int16Array(delayed(b, 1000).length + 9000 * 24);
    bStream.set(delayed(b, 1000));
    bStream.set(b, 8000 * 24);
    await play(session, { a, b: bStream }, 13_000);
    await sleep(100);
    expect(turns.map((t) => t.peerId)).toEqual(['a', 'b']);
    expect(floor).toEqual(['a', undefined, 'b', undefined]);
    expect(turns[0]!.durationMs).toBeGreaterThan(5000);
    expect(turns[0]!.decidedAtMs).toBeGreaterThan(0);
    tt.close();
  }, 15_000);

  it('barge-in fires once per turn, only while the agent is speaking, after 300 ms of speech', async () => {
    const session = new FakeSession();
    const tt = new TurnTaking(session, {
      vad: 'energy',
      echoGuard: false,
    });
    await play(session, { a: speech2Fixture(24000).samples }, 4200);
    expect(session.bargeIns).toEqual([]);
    session.speaking = true;
    await play(session, { a: speech2Fixture(24000).samples }, 4200);
    await sleep(50);
    expect(session.bargeIns).toEqual(['a']);
    tt.close();
  }, 15_000);

  it('a speaker who stops sending frames mid-turn still gets the turn ended (wall-clock gap fill)', async () => {
    const session = new FakeSession();
    const tt = new TurnTaking(session, { vad: 'energy' });
    const turns: Turn[] = [];
    tt.on('turn', (t) => turns.push(t));
    const a = speech2Fixture(24000).samples;
    const speechOnly = a.subarray(0, Math.floor(a.length / FRAME) * FRAME - 20 * FRAME);
    const t0 = performance.now() - speechOnly.length / 24;
    await play(session, { a: speechOnly }, (speechOnly.length / FRAME) * 20, t0);
    await sleep(900);
    expect(turns).toHaveLength(1);
    tt.close();
  }, 15_000);

  it('a failure while finishing a departed speaker is reported as a warning', async () => {
    const session = new FakeSession();
    const vad: VadEngine = {
      name: 'fails-to-close',
      create: () => ({
        sampleRateHz: 16000,
        frameSamples: 320,
        process: () => 0,
        reset() {},
        close() {
          throw new Error('vad close failed');
        },
      }),
    };
    const tt = new TurnTaking(session, { vad });
    session.emit('audio', 'a', new AudioFrame(new Int16Array(FRAME), 24000), performance.now());
    await sleep(20);
    session.emit('speakerLeft', 'a');
    await sleep(20);
    expect(session.warnings).toEqual([expect.objectContaining({ message: 'vad close failed' })]);
    tt.close();
  });
});
