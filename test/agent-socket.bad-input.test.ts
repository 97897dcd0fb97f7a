import { randomUUID } from 'node:crypto';
import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRequest } from '../src/protocol/index.js';
import { agentToken, listeningAgent, rawAgent } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  shoal = await startShoal({
    media: { agentOutboundCapacityMs: 400, agentTrackBufferMs: 2_000, opusComplexity: 5 },
  });
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

const agentUrl = (): string => `${shoal.origin.replace('http', 'ws')}/socket/agent/websocket`;
const tone = (rate: number, ms: number): Uint8Array =>
  toBytes(
    new Int16Array((rate * ms) / 1000).map((_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / rate)),
    ),
  );

/** A healthy pair in its own room that must keep streaming whatever the bad client does. */
async function healthyPair(): Promise<{ heardFrames: () => number; stop: () => Promise<void> }> {
  const room = await fishjam.createRoom({ roomType: 'audio_only' });
  const b = await listeningAgent(fishjam, room.id, 16000);
  const a = await listeningAgent(fishjam, room.id, 16000);
  const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
  const timer = setInterval(() => a.agent.sendData(track.id, tone(16000, 100)), 100);
  return {
    heardFrames: () => b.heard.length,
    stop: async () => {
      clearInterval(timer);
      a.agent.disconnect();
      b.agent.disconnect();
      await fishjam.deleteRoom(room.id);
    },
  };
}

async function expectStillFlowing(pair: { heardFrames: () => number }): Promise<void> {
  const before = pair.heardFrames();
  await eventually(() => (pair.heardFrames() - before >= 10 ? true : undefined), 2000);
}

describe('agent socket bad input: a clear close reason, nothing else affected', () => {
  const addTrack = (
    id: string,
    codec: AgentRequest.AddTrack.ICodecParameters,
    type = 2,
  ): Parameters<typeof AgentRequest.encode>[0] => ({
    addTrack: { track: { id, type, metadata: '{}' }, codecParams: codec },
  });

  it.each([
    [
      'garbage bytes',
      (send: (b: Uint8Array) => void) => send(new Uint8Array([0xff, 0xff, 0xff, 0x0f])),
      1007,
      'malformed message',
    ],
    [
      'a non-UUID track id',
      null,
      1003,
      'unsupported track: track id must be a UUID v4',
      addTrack('track-1', { encoding: 1, sampleRate: 16000, channels: 1 }),
    ],
    [
      'a video track',
      null,
      1003,
      'unsupported track: agent tracks must be audio',
      addTrack(randomUUID(), { encoding: 1, sampleRate: 16000, channels: 1 }, 1),
    ],
    [
      'two channels',
      null,
      1003,
      'unsupported track: channels must be 1 (mono), got 2',
      addTrack(randomUUID(), { encoding: 1, sampleRate: 16000, channels: 2 }),
    ],
    [
      'an unsupported rate',
      null,
      1003,
      'unsupported track: pcm16 sample rate must be 16000 or 24000, got 44100',
      addTrack(randomUUID(), { encoding: 1, sampleRate: 44100, channels: 1 }),
    ],
    [
      'TrackData for an unknown track',
      null,
      1008,
      'unknown track nope',
      { trackData: { trackId: 'nope', data: new Uint8Array(64) } },
    ],
  ] as const)(
    '%s',
    async (_label, raw, code, reason, message?: Parameters<typeof AgentRequest.encode>[0]) => {
      const pair = await healthyPair();
      try {
        const room = await fishjam.createRoom({ roomType: 'audio_only' });
        const { token } = await agentToken(shoal.origin, shoal.token, room.id);
        const bad = await rawAgent(agentUrl());
        bad.send({ authRequest: { token } });
        if (raw) {
          raw((b) => bad.ws.send(b));
        } else if (message) {
          bad.send(message);
        }
        expect(await bad.closed).toEqual({ code, reason });
        await expectStillFlowing(pair);
        await fishjam.deleteRoom(room.id);
      } finally {
        await pair.stop();
      }
    },
  );

  it('a close reason never exceeds 123 bytes (a long multibyte track id)', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { token } = await agentToken(shoal.origin, shoal.token, room.id);
    const bad = await rawAgent(agentUrl());
    bad.send({ authRequest: { token } });
    bad.send({ trackData: { trackId: '€'.repeat(80), data: new Uint8Array(8) } });
    const closed = await bad.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason.startsWith('unknown track €')).toBe(true);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    await fishjam.deleteRoom(room.id);
  });

  it.each([
    ['a bad token', 'not-a-token', 'invalid token'],
    ['an empty token', '', 'missing token'],
  ])('%s closes with "%s"', async (_l, token, reason) => {
    const bad = await rawAgent(agentUrl());
    bad.send({ authRequest: { token } });
    expect(await bad.closed).toEqual({ code: 1000, reason });
  });

  it('a webrtc peer token is not an agent token; a refreshed-away token stops working', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { peerToken } = await fishjam.createPeer(room.id);
    const asPeer = await rawAgent(agentUrl());
    asPeer.send({ authRequest: { token: peerToken } });
    expect(await asPeer.closed).toEqual({ code: 1000, reason: 'invalid token' });

    const { token, peerId } = await agentToken(shoal.origin, shoal.token, room.id);
    await fishjam.refreshPeerToken(room.id, peerId as never);
    const stale = await rawAgent(agentUrl());
    stale.send({ authRequest: { token } });
    expect(await stale.closed).toEqual({ code: 1000, reason: 'invalid token' });
    await fishjam.deleteRoom(room.id);
  });

  it('answers Authenticated, and processes AddTrack/TrackData sent right behind the auth frame', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const listener = await listeningAgent(fishjam, room.id, 16000);
    const { token, peerId } = await agentToken(shoal.origin, shoal.token, room.id);
    const client = await rawAgent(agentUrl());
    const id = randomUUID().replaceAll('-', ''); // undashed, as the Python SDK sends
    client.send({ authRequest: { token } });
    client.send({
      addTrack: {
        track: { id, type: 2, metadata: '{}' },
        codecParams: { encoding: 1, sampleRate: 16000, channels: 1 },
      },
    });
    client.send({ trackData: { trackId: id, data: tone(16000, 300) } });
    await eventually(() => (listener.heard.length >= 10 ? true : undefined));
    expect(client.replies[0]?.authenticated).toBeDefined();
    expect(listener.heard[0]).toMatchObject({ peerId, trackId: id });
    client.ws.close();
    listener.agent.disconnect();
    await fishjam.deleteRoom(room.id);
  });

  it('odd-length PCM chunks lose nothing: the odd byte joins the next chunk', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const listener = await listeningAgent(fishjam, room.id, 16000);
    const a = await listeningAgent(fishjam, room.id, 16000);
    const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    const audio = tone(16000, 400);
    a.agent.sendData(track.id, audio.subarray(0, 1001));
    a.agent.sendData(track.id, audio.subarray(1001));
    await eventually(() => (listener.heard.length >= 20 ? true : undefined));
    a.agent.disconnect();
    listener.agent.disconnect();
    await fishjam.deleteRoom(room.id);
    expect(listener.heard.length).toBe(20);
  });

  it('PCM far faster than real time is capped at the track buffer; the excess is dropped and counted', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const a = await listeningAgent(fishjam, room.id, 16000);
    const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    a.agent.sendData(track.id, tone(16000, 5_000)); // 5 s into a 2 s buffer
    const session = await eventually(() => shoal.server.agents.session(a.peerId));
    const output = await eventually(() => session.tracks.get(track.id));
    await eventually(() => (output.stats.framesDropped > 0 ? true : undefined));
    expect(output.bufferedMs).toBeLessThanOrEqual(2_000);
    expect(output.stats.framesDropped).toBeGreaterThanOrEqual(140);
    a.agent.disconnect();
    await fishjam.deleteRoom(room.id);
  });

  it('an agent that never reads holds a bounded queue; others are unaffected', async () => {
    const pair = await healthyPair();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    try {
      const { token, peerId } = await agentToken(shoal.origin, shoal.token, room.id);
      const sleeper = await rawAgent(agentUrl());
      sleeper.send({ authRequest: { token } });
      await eventually(() => shoal.server.agents.session(peerId));
      // Stop reading from the socket entirely. (The kernel absorbs megabytes before the server
      // sees backpressure; the drop policy itself is proven in outbound-queue.test.ts.)
      (sleeper.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const speaker = await listeningAgent(fishjam, room.id, 16000);
      const track = speaker.agent.createTrack({
        encoding: 'pcm16',
        sampleRate: 16000,
        channels: 1,
      });
      speaker.agent.sendData(track.id, tone(16000, 2000));
      const session = shoal.server.agents.session(peerId)!;
      await eventually(
        () => ((session.outbound?.stats.framesSent ?? 0) >= 50 ? true : undefined),
        4000,
      );
      expect(session.outbound!.queuedFrames).toBeLessThanOrEqual(session.outbound!.capacityFrames);
      await expectStillFlowing(pair);
      speaker.agent.disconnect();
      sleeper.ws.terminate();
    } finally {
      await fishjam.deleteRoom(room.id);
      await pair.stop();
    }
  });

  it('an agent socket closed abruptly mid-stream: the peer disconnects, others keep going', async () => {
    const pair = await healthyPair();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    try {
      const listener = await listeningAgent(fishjam, room.id, 16000);
      const { token, peerId } = await agentToken(shoal.origin, shoal.token, room.id);
      const speaker = await rawAgent(agentUrl());
      const id = randomUUID();
      speaker.send({ authRequest: { token } });
      speaker.send({
        addTrack: {
          track: { id, type: 2, metadata: '{}' },
          codecParams: { encoding: 1, sampleRate: 16000, channels: 1 },
        },
      });
      speaker.send({ trackData: { trackId: id, data: tone(16000, 3000) } });
      await eventually(() => (listener.heard.length > 5 ? true : undefined));
      speaker.ws.terminate();
      await eventually(async () => {
        const peer = (await fishjam.getRoom(room.id)).peers.find((p) => p.id === peerId);
        return peer?.status === 'disconnected' && peer.tracks.length === 0 ? true : undefined;
      });
      const count = listener.heard.length;
      await sleep(200);
      expect(listener.heard.length - count).toBeLessThanOrEqual(1);
      await expectStillFlowing(pair);
      listener.agent.disconnect();
    } finally {
      await fishjam.deleteRoom(room.id);
      await pair.stop();
    }
  });

  it('room deleted while agents stream: their sockets close with "Room stopped"', async () => {
    const pair = await healthyPair();
    try {
      const room = await fishjam.createRoom({ roomType: 'audio_only' });
      const b = await listeningAgent(fishjam, room.id, 16000);
      const a = await listeningAgent(fishjam, room.id, 24000);
      const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
      a.agent.sendData(track.id, tone(24000, 3000));
      await eventually(() => (b.heard.length > 5 ? true : undefined));
      await fishjam.deleteRoom(room.id);
      await eventually(() => (a.close.reason && b.close.reason ? true : undefined));
      expect(a.close).toEqual({ code: 1000, reason: 'Room stopped' });
      expect(b.close).toEqual({ code: 1000, reason: 'Room stopped' });
      expect(shoal.server.media.existing(room.id)).toBeUndefined();
      await expectStillFlowing(pair);
    } finally {
      await pair.stop();
    }
  });

  it('peer deleted: its agent socket closes with "Peer removed"', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const a = await listeningAgent(fishjam, room.id, 16000);
    await eventually(() => shoal.server.agents.session(a.peerId));
    await fishjam.deletePeer(room.id, a.peerId as never);
    await eventually(() => a.close.reason);
    expect(a.close).toEqual({ code: 1000, reason: 'Peer removed' });
    await fishjam.deleteRoom(room.id);
  });
});
