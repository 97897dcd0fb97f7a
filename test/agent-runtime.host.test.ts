import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { echoAgent } from '../agents/echo/index.js';
import { AgentHost, defineAgent, initResamplers } from '../src/agent/index.js';
import { ShoalError } from '../src/protocol/index.js';
import { Notifier } from '../src/sdk/index.js';
import { bestLagCorrelation, envelope } from '../src/media/pcm/index.js';
import { listeningAgent } from './helpers/agents.js';
import { WebrtcTestClient } from './helpers/webrtc-client.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { speech2Fixture, speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  await initResamplers();
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

/** A WebRTC peer whose socket "connects": what the peer socket tells the room service. */
async function person(
  roomId: string,
): Promise<{ id: string; connect(): Promise<void>; leave(): Promise<void> }> {
  const { peer } = await fishjam.createPeer(roomId as never);
  return {
    id: peer.id,
    connect: () => shoal.server.rooms.setPeerStatus(roomId, peer.id, 'connected'),
    leave: () => shoal.server.rooms.setPeerStatus(roomId, peer.id, 'disconnected'),
  };
}

const agentPeers = async (roomId: string): Promise<string[]> =>
  (await fishjam.getRoom(roomId as never)).peers.filter((p) => p.type === 'agent').map((p) => p.id);

describe('agent host', () => {
  it('dispatches by rule through a prefix-style URL: joins audio_only rooms at the first person, leaves after the last', async () => {
    const host = new AgentHost({
      serverUrl: shoal.prefixed,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    await host.start();
    await host.dispatch({ agent: 'echo', roomTypes: ['audio_only'] });
    const audio = await fishjam.createRoom({ roomType: 'audio_only' });
    const conference = await fishjam.createRoom({ roomType: 'conference' });
    const alice = await person(audio.id);
    const bob = await person(audio.id);
    const carol = await person(conference.id);
    await alice.connect();
    await carol.connect();
    const session = await eventually(() => host.session(audio.id, 'echo'), 3000);
    await bob.connect();
    await sleep(300);
    expect(host.sessions()).toHaveLength(1);
    expect(host.session(conference.id, 'echo')).toBeUndefined();

    // The runtime works end to end over the prefixed URL.
    const listener = await listeningAgent(fishjam, audio.id, 24000);
    const speaker = await listeningAgent(fishjam, audio.id, 16000);
    const track = speaker.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    speaker.agent.sendData(track.id, toBytes(speech2Fixture(24000).samples));
    await eventually(
      () =>
        listener.heard.filter((h) => h.peerId === session.peerId).length > 50 ? true : undefined,
      12_000,
    );
    listener.agent.disconnect();
    speaker.agent.disconnect();

    await alice.leave();
    await sleep(200);
    expect(session.closed).toBe(false);
    await bob.leave();
    await eventually(() => (session.closed ? true : undefined), 3000);
    await eventually(async () =>
      (await agentPeers(audio.id)).includes(session.peerId) ? undefined : true,
    );
    expect(host.sessions()).toHaveLength(0);

    // A person coming back brings the agent back.
    await alice.connect();
    await eventually(() => host.session(audio.id, 'echo'), 3000);
    await host.close();
    await fishjam.deleteRoom(audio.id);
    await fishjam.deleteRoom(conference.id);
  }, 30_000);

  it('one agent whose prepare() fails never blocks the others; it is retried at its next join', async () => {
    let attempts = 0;
    const broken = defineAgent({
      name: 'broken',
      async prepare() {
        attempts += 1;
        throw new ShoalError('PROVIDER_FAILED', 'model files missing');
      },
      async run() {},
    });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [broken, echoAgent()],
    });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    await expect(host.join(room.id, 'broken')).rejects.toThrow('model files missing');
    const echo = await host.join(room.id, 'echo');
    expect(echo.closed).toBe(false);
    await expect(host.join(room.id, 'broken')).rejects.toThrow('model files missing');
    expect(attempts).toBe(2);
    await host.close();
    await fishjam.deleteRoom(room.id);
  });

  it('enforces its session limit, refuses unknown agents and double joins, and drains', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
      maxSessions: 1,
    });
    const a = await fishjam.createRoom({ roomType: 'audio_only' });
    const b = await fishjam.createRoom({ roomType: 'audio_only' });
    await expect(host.join(a.id, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const session = await host.join(a.id, 'echo');
    await expect(host.join(a.id, 'echo')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(host.join(b.id, 'echo')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await agentPeers(b.id)).toEqual([]);
    await host.drain(2000);
    expect(session.closed).toBe(true);
    expect(await agentPeers(a.id)).toEqual([]);
    await expect(host.join(b.id, 'echo')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await host.close();
    await host.close();
    await fishjam.deleteRoom(a.id);
    await fishjam.deleteRoom(b.id);
  });

  it('ends a departed speaker of a joined session (no dispatch rule) within a second', async () => {
    const quiet = defineAgent({
      name: 'quiet',
      inputSampleRateHz: 16000,
      async run(session) {
        await session.done;
      },
    });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [quiet],
    });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const session = await host.join(room.id, 'quiet');
    const speaker = await listeningAgent(fishjam, room.id, 16000);
    const track = speaker.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    speaker.agent.sendData(track.id, toBytes(speechFixture(16000).samples.subarray(0, 16000)));
    await eventually(() => session.speaker(speaker.peerId), 5000);
    const left: string[] = [];
    session.on('speakerLeft', (peerId) => left.push(peerId));
    await fishjam.deletePeer(room.id as never, speaker.peerId as never);
    await eventually(() => (left.length > 0 ? true : undefined), 1000);
    expect(left).toEqual([speaker.peerId]);
    expect(session.speaker(speaker.peerId)).toBeUndefined();
    expect(session.currentSpeakers).toHaveLength(0);
    await host.close();
    await fishjam.deleteRoom(room.id);
  });

  it('concurrent joins of one agent into one room: one session, the other CONFLICT; nothing orphaned', async () => {
    const stubborn = defineAgent({
      name: 'stubborn',
      async run() {
        await sleep(1500);
      },
    });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent(), stubborn],
      handlerGraceMs: 300,
    });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const results = await Promise.allSettled([
      host.join(room.id, 'echo'),
      host.join(room.id, 'echo'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'CONFLICT' },
    });
    expect(await agentPeers(room.id)).toHaveLength(1);

    // A session whose handler outlives its close: a new join takes its place, and the old
    // session's cleanup (after the grace) must not remove the new one.
    const old = await host.join(room.id, 'stubborn');
    await old.close();
    const next = await host.join(room.id, 'stubborn');
    await sleep(500);
    expect(host.session(room.id, 'stubborn')).toBe(next);
    await host.close();
    expect(next.closed).toBe(true);
    expect(await agentPeers(room.id)).toEqual([]);
    await fishjam.deleteRoom(room.id);
  });

  it('drain waits for joins in progress and closes their sessions', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const joining = host.join(room.id, 'echo');
    await host.drain(1000);
    const session = await joining;
    expect(session.closed).toBe(true);
    expect(host.sessions()).toHaveLength(0);
    expect(await agentPeers(room.id)).toEqual([]);
    await host.close();
    await fishjam.deleteRoom(room.id);
  });

  it('a dispatch leave arriving while its join looks up the room type is not lost', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    await host.dispatch({ agent: 'echo', roomTypes: ['audio_only'] });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const getRoom = host.client.getRoom.bind(host.client);
    const lookedUp: string[] = [];
    vi.spyOn(host.client, 'getRoom').mockImplementation(async (roomId, options) => {
      lookedUp.push(roomId);
      await gate;
      return getRoom(roomId, options);
    });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const alice = await person(room.id);
    await alice.connect();
    await eventually(() => (lookedUp.includes(room.id) ? true : undefined), 3000);
    await alice.leave();
    await sleep(300);
    release();
    await sleep(500);
    expect(host.session(room.id, 'echo')).toBeUndefined();
    expect(await agentPeers(room.id)).toEqual([]);
    await host.close();
    await fishjam.deleteRoom(room.id);
  });

  it('a dispatch whose notifier could not connect is retried by the next dispatch', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    vi.spyOn(host.client, 'notifier').mockImplementationOnce(
      () =>
        new Notifier({
          serverUrl: 'http://127.0.0.1:1',
          managementToken: shoal.token,
          handshakeTimeoutMs: 1000,
        }),
    );
    const rule = { agent: 'echo', roomTypes: ['audio_only'] as const };
    await expect(host.dispatch(rule)).rejects.toBeInstanceOf(ShoalError);
    await host.dispatch(rule);
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const alice = await person(room.id);
    await alice.connect();
    const session = await eventually(() => host.session(room.id, 'echo'), 3000);
    expect(host.sessions()).toEqual([session]);
    await host.close();
    await fishjam.deleteRoom(room.id);
  });

  it('a join into a missing room fails with a typed error and leaves nothing behind', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    await expect(host.join('no-such-room', 'echo')).rejects.toMatchObject({
      code: 'ROOM_NOT_FOUND',
    });
    expect(host.sessions()).toHaveLength(0);
    await host.close();
  });

  it('end to end with a real WebRTC peer: dispatched on connect, echoes the Opus mic, leaves with the peer', async () => {
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
    });
    await host.dispatch({ agent: 'echo', roomTypes: ['audio_only'] });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { peerToken } = await fishjam.createPeer(room.id);
    const client = await WebrtcTestClient.open({ origin: shoal.origin, token: peerToken });
    const session = await eventually(() => host.session(room.id, 'echo'), 3000);
    const mic = await client.addAudioTrack();
    await client.connected();
    const fixture = speechFixture(48000).samples;
    await client.sendPcm(mic, fixture).done;
    const echoTrack = await eventually(
      () =>
        [...client.remoteTracks.values()].find(
          (t) => t.endpointId === session.peerId && t.chunks.length > 250,
        ),
      10_000,
    );
    const heard = envelope(client.receivedPcm(echoTrack.trackId), 48000, 20);
    const source = envelope(fixture, 48000, 20);
    expect(
      bestLagCorrelation(source.subarray(0, heard.length), heard, 30).correlation,
    ).toBeGreaterThan(0.8);
    await client.close();
    await eventually(() => (session.closed ? true : undefined), 5000);
    await eventually(async () => ((await agentPeers(room.id)).length === 0 ? true : undefined));
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 30_000);
});
