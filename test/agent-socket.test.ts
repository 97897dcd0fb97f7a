import { FishjamClient, FishjamWSNotifier, type RoomId } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestLagCorrelation, envelope } from '../src/media/pcm/index.js';
import { listeningAgent, samplesOf } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

describe('agent socket: official FishjamAgent to FishjamAgent through the server', () => {
  it.each([
    [24000, 16000],
    [24000, 24000],
    [16000, 16000],
    [16000, 24000],
  ] as const)(
    'A sends speech as PCM16 %i Hz in one burst; B (%i Hz) hears it attributed to A, paced in real time',
    async (inRate, outRate) => {
      const room = await fishjam.createRoom({ roomType: 'audio_only' });
      const b = await listeningAgent(fishjam, room.id, outRate);
      const a = await listeningAgent(fishjam, room.id, 16000);
      const fixture = speechFixture(inRate);
      const durationMs = (fixture.samples.length / inRate) * 1000;

      const track = a.agent.createTrack(
        { encoding: 'pcm16', sampleRate: inRate, channels: 1 },
        { type: 'voice' },
      );
      const sentAt = performance.now();
      a.agent.sendData(track.id, toBytes(fixture.samples));

      await eventually(() => {
        const got = samplesOf(b.heard).length;
        return got >= (fixture.samples.length * outRate) / inRate - outRate * 0.04
          ? true
          : undefined;
      }, durationMs + 3000);

      expect(new Set(b.heard.map((h) => h.peerId))).toEqual(new Set([a.peerId]));
      expect(new Set(b.heard.map((h) => h.trackId))).toEqual(new Set([track.id]));
      expect(new Set(b.heard.map((h) => h.data.length))).toEqual(new Set([(outRate / 50) * 2]));
      // A never hears itself.
      expect(a.heard).toHaveLength(0);

      // Paced, not a burst: audio arrives at about 1×.
      const first = b.heard[0]!.atMs;
      const last = b.heard[b.heard.length - 1]!.atMs;
      expect(last - first).toBeGreaterThan(durationMs * 0.9);
      const inFirstSecond = b.heard.filter((h) => h.atMs - first < 1000).length * 20;
      expect(inFirstSecond).toBeLessThan(1300);
      expect(first - sentAt).toBeLessThan(300);

      // Matches the source: per-20 ms envelope correlation after alignment.
      const source = envelope(fixture.samples, inRate, 20);
      const received = envelope(samplesOf(b.heard), outRate, 20);
      const { correlation } = bestLagCorrelation(source, received, 10);
      expect(correlation).toBeGreaterThanOrEqual(0.9);

      a.agent.disconnect();
      b.agent.disconnect();
      await fishjam.deleteRoom(room.id);
    },
    20_000,
  );

  it('interruptTrack stops the old audio within 40 ms; audio sent after it plays', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const b = await listeningAgent(fishjam, room.id, 16000);
    const a = await listeningAgent(fishjam, room.id, 16000);
    const fixture = speechFixture(24000);
    const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    a.agent.sendData(track.id, toBytes(fixture.samples));
    await eventually(() => (b.heard.length >= 40 ? true : undefined), 3000);

    const interruptedAt = performance.now();
    a.agent.interruptTrack(track.id);
    await sleep(600);
    const late = b.heard.filter((h) => h.atMs > interruptedAt + 40);
    expect(late).toHaveLength(0);

    // New audio after the interrupt plays normally (a 200 ms tone).
    const tone = new Int16Array(24000 / 5).map((_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24000)),
    );
    const before = b.heard.length;
    a.agent.sendData(track.id, toBytes(tone));
    await eventually(() => (b.heard.length - before >= 10 ? true : undefined), 2000);

    a.agent.disconnect();
    b.agent.disconnect();
    await fishjam.deleteRoom(room.id);
  });

  it('REST and notifications reflect agent connection and tracks, in order', async () => {
    const seen: string[] = [];
    const notifier = new FishjamWSNotifier(
      { fishjamId: shoal.origin, managementToken: shoal.token },
      () => {},
      () => {},
    );
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    for (const name of [
      'peerAdded',
      'peerConnected',
      'trackAdded',
      'trackRemoved',
      'peerDisconnected',
    ] as const) {
      notifier.on(name, (msg: { roomId?: string }) => {
        if (msg.roomId === room.id) {
          seen.push(name);
        }
      });
    }
    await sleep(200);
    const a = await listeningAgent(fishjam, room.id, 16000);
    const track = a.agent.createTrack(
      { encoding: 'pcm16', sampleRate: 16000, channels: 1 },
      { label: 'tts' },
    );
    const peer = await eventually(async () => {
      const p = (await fishjam.getRoom(room.id)).peers.find((x) => x.id === a.peerId);
      return p?.status === 'connected' && p.tracks.length === 1 ? p : undefined;
    });
    expect(peer.tracks[0]).toMatchObject({
      id: track.id,
      type: 'audio',
      metadata: { label: 'tts' },
    });

    a.agent.deleteTrack(track.id);
    await eventually(async () =>
      (await fishjam.getRoom(room.id)).peers[0]?.tracks.length === 0 ? true : undefined,
    );
    a.agent.disconnect();
    await eventually(async () =>
      (await fishjam.getRoom(room.id)).peers[0]?.status === 'disconnected' ? true : undefined,
    );
    await eventually(() => (seen.length >= 5 ? true : undefined));
    expect(seen).toEqual([
      'peerAdded',
      'peerConnected',
      'trackAdded',
      'trackRemoved',
      'peerDisconnected',
    ]);
    (notifier as unknown as { client: { close(): void } }).client.close();
    await fishjam.deleteRoom(room.id);
  });

  it('manual subscribers hear only what subscribe_peer / subscribe_tracks granted', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { agent: listener, peer } = await fishjam.createAgent(room.id, {
      subscribeMode: 'manual',
    });
    const heard: string[] = [];
    listener.on('trackData', (m) => heard.push(m.peerId));
    const a = await listeningAgent(fishjam, room.id, 16000);
    const c = await listeningAgent(fishjam, room.id, 16000);
    const tone = toBytes(new Int16Array(16000).fill(3000));
    const ta = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    const tc = c.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    a.agent.sendData(ta.id, tone);
    c.agent.sendData(tc.id, tone);
    await sleep(400);
    expect(heard).toHaveLength(0);

    await fishjam.subscribePeer(room.id, peer.id, a.peerId as never);
    await eventually(() => (heard.length > 5 ? true : undefined));
    expect(new Set(heard)).toEqual(new Set([a.peerId]));

    await fishjam.subscribeTracks(room.id, peer.id, [tc.id]);
    await eventually(() => (heard.includes(c.peerId) ? true : undefined));
    for (const x of [listener, a.agent, c.agent]) {
      x.disconnect();
    }
    await fishjam.deleteRoom(room.id);
  });

  it('a reconnect with the same token replaces the old socket', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const first = await listeningAgent(fishjam, room.id, 16000);
    const peerId = first.peerId;
    const token = (await fishjam.refreshPeerToken(room.id as RoomId, peerId as never)) as string;
    expect(first.close.code).toBeUndefined();
    const { FishjamAgent } = await import('@fishjam-cloud/js-server-sdk');
    const second = new FishjamAgent(
      { fishjamId: shoal.origin, managementToken: shoal.token },
      token,
    );
    await second.awaitConnected();
    await eventually(() => first.close.reason);
    expect(first.close).toEqual({ code: 1000, reason: 'replaced by a new connection' });
    expect(shoal.server.agents.session(peerId)).toBeDefined();
    const status = (await fishjam.getRoom(room.id)).peers[0]?.status;
    expect(status).toBe('connected');
    second.disconnect();
    await fishjam.deleteRoom(room.id);
  });
});
