import { describe, expect, it } from 'vitest';
import { AudioFrame } from '../media/pcm/index.js';
import { AudioQueue, Feed } from './audio-queue.js';
import { DispatchState, parseDispatchRule } from './dispatch.js';
import { classifyClose, closeError } from './errors.js';
import { TurnTimer } from './metrics.js';
import { PlayoutModel } from './playout.js';
import { decodeWav, encodeWav } from './providers/wav.js';

describe('PlayoutModel (pure)', () => {
  it('models 1× playout: queued, played, cleared', () => {
    const m = new PlayoutModel();
    expect(m.enqueue(1000, 20)).toBe(1000);
    expect(m.enqueue(1000, 20)).toBe(1020);
    expect(m.queuedMs(1010)).toBe(30);
    expect(m.playing(1039)).toBe(true);
    expect(m.playing(1040)).toBe(false);
    // After an idle gap, playout restarts at the send time.
    expect(m.enqueue(2000, 100)).toBe(2000);
    expect(m.clear(2030)).toBe(70);
    expect(m.queuedMs(2030)).toBe(0);
    expect(m.sentMs).toBe(140);
  });
});

describe('AudioQueue (bounded, ms)', () => {
  const frame = (ms: number): AudioFrame => AudioFrame.silence(ms, 16000);

  it('drops the oldest beyond its capacity and counts it', async () => {
    const q = new AudioQueue<AudioFrame>({ capacityMs: 100 });
    for (let i = 0; i < 8; i++) {
      q.push(frame(20));
    }
    expect(q.queuedMs).toBe(100);
    expect(q.stats).toMatchObject({ pushed: 8, dropped: 3, droppedMs: 60 });
    q.close();
    let n = 0;
    for await (const _ of q) {
      n += 1;
    }
    expect(n).toBe(5);
  });

  it('drop-newest refuses new items when full; a waiting reader gets items directly', async () => {
    const q = new AudioQueue<AudioFrame>({ capacityMs: 40, overflow: 'drop-newest' });
    const next = q.next();
    q.push(frame(20));
    expect((await next).done).toBe(false);
    expect(q.push(frame(20))).toBe(true);
    expect(q.push(frame(20))).toBe(true);
    expect(q.push(frame(20))).toBe(false);
    expect(q.stats.dropped).toBe(1);
  });

  it('fail() ends the reader with the error; Feed carries discrete items', async () => {
    const q = new AudioQueue<AudioFrame>({ capacityMs: 40 });
    const next = q.next();
    q.fail(new Error('boom'));
    await expect(next).rejects.toThrow('boom');
    const feed = new Feed<string>(2);
    feed.push('a');
    feed.push('b');
    expect(feed.push('c')).toBe(false);
    feed.close();
    const got: string[] = [];
    for await (const x of feed) {
      got.push(x);
    }
    expect(got).toEqual(['a', 'b']);
  });
});

describe('DispatchState (pure)', () => {
  it('joins at the first person, leaves after the last, ignores agents', () => {
    const d = new DispatchState();
    expect(d.connected('r', 'agent-1', 'agent')).toEqual([]);
    expect(d.connected('r', 'a', 'webrtc')).toEqual([{ type: 'join', roomId: 'r' }]);
    expect(d.connected('r', 'b', 'webrtc')).toEqual([]);
    expect(d.connected('r', 'b', 'webrtc')).toEqual([]);
    expect(d.disconnected('r', 'a')).toEqual([]);
    expect(d.disconnected('r', 'x')).toEqual([]);
    expect(d.disconnected('r', 'b')).toEqual([{ type: 'leave', roomId: 'r' }]);
    expect(d.connected('r', 'c', 'webrtc')).toEqual([{ type: 'join', roomId: 'r' }]);
    expect(d.roomDeleted('r')).toEqual([{ type: 'leave', roomId: 'r' }]);
  });

  it('resynchronises from a snapshot', () => {
    const d = new DispatchState();
    d.connected('gone', 'a', 'webrtc');
    const actions = d.resync([
      { roomId: 'r1', peers: [{ peerId: 'p', kind: 'webrtc', connected: true }] },
      { roomId: 'r2', peers: [{ peerId: 'q', kind: 'webrtc', connected: false }] },
    ]);
    expect(actions).toEqual([
      { type: 'join', roomId: 'r1' },
      { type: 'leave', roomId: 'gone' },
    ]);
  });

  it('parses CLI rules', () => {
    expect(parseDispatchRule('*', 'echo')).toEqual({ agent: 'echo' });
    expect(parseDispatchRule('audio_only, conference', 'x').roomTypes).toEqual([
      'audio_only',
      'conference',
    ]);
    expect(() => parseDispatchRule('audio', 'x')).toThrow(/unknown room type/);
  });
});

describe('agent socket close reasons', () => {
  it.each([
    [1000, 'invalid token', 'unauthorized', true, 'UNAUTHORIZED'],
    [1000, 'expired token', 'unauthorized', true, 'UNAUTHORIZED'],
    [1000, 'Peer removed', 'peerRemoved', true, 'PEER_NOT_FOUND'],
    [1000, 'peer not found', 'peerRemoved', true, 'PEER_NOT_FOUND'],
    [1000, 'Room stopped', 'roomStopped', true, 'ROOM_NOT_FOUND'],
    [1000, 'replaced by a new connection', 'replaced', true, 'CONFLICT'],
    [1003, 'unsupported track: x', 'protocol', true, 'BAD_REQUEST'],
    [1008, 'authentication timeout', 'dropped', false, 'UNAVAILABLE'],
    [1001, 'server shutting down', 'shutdown', false, 'UNAVAILABLE'],
    [1006, '', 'dropped', false, 'UNAVAILABLE'],
    [1011, 'Internal server error', 'dropped', false, 'UNAVAILABLE'],
  ] as const)('%i "%s" → %s', (code, reason, kind, fatal, errorCode) => {
    expect(classifyClose(code, reason)).toBe(kind);
    const err = closeError(code, reason);
    expect(err.fatal).toBe(fatal);
    expect(err.code).toBe(errorCode);
    expect(err.message).toContain(reason);
  });
});

describe('TurnTimer', () => {
  it('derives the waterfall from stage marks and reports once', () => {
    const reports: unknown[] = [];
    const t = new TurnTimer(
      { turnId: 't', speakerId: 's', roomId: 'r', peerId: 'p', agentName: 'a' },
      (m) => reports.push(m),
    );
    t.mark('speechEnd', 100).mark('turnDecided', 600).mark('firstProviderByte', 650);
    t.mark('firstAudioOut', 700).mark('firstAudioOut', 900).mark('playoutDone', 2700);
    const m = t.finish();
    expect(m).toMatchObject({
      endOfTurnMs: 500,
      providerMs: 50,
      responseMs: 100,
      voiceToVoiceMs: 600,
      playoutMs: 2000,
    });
    t.finish();
    expect(reports).toHaveLength(1);
  });
});

describe('WAV', () => {
  it('round-trips PCM16 and reads streamed (size 0xFFFFFFFF) WAVs', () => {
    const frame = new AudioFrame(Int16Array.from([0, 1, -1, 32767, -32768]), 22050);
    const bytes = encodeWav(frame);
    expect(Array.from(decodeWav(bytes).data)).toEqual(Array.from(frame.data));
    const streamed = bytes.slice();
    new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
    expect(decodeWav(streamed).sampleRateHz).toBe(22050);
    expect(() => decodeWav(new Uint8Array(10))).toThrow(/not a WAV/);
  });
});
