/**
 * WebRTC peers through the server, with werift clients speaking ts-client's signaling and the
 * official FishjamAgent on the agent side.
 */
import { FishjamClient, FishjamWSNotifier, type RoomId } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningAgent, samplesOf } from './helpers/agents.js';
import { energy, fixtureCorrelation } from './helpers/audio.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { speechFixture, toBytes } from './helpers/wav.js';
import { WebrtcTestClient } from './helpers/webrtc-client.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
const clients: WebrtcTestClient[] = [];
beforeAll(async () => {
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await shoal.close();
});

const speech48k = speechFixture(48000).samples;

async function join(
  roomId: string,
  options: { metadata?: unknown; serverMetadata?: object; manual?: boolean; keep?: boolean } = {},
): Promise<WebrtcTestClient> {
  const { peerToken } = await fishjam.createPeer(roomId as RoomId, {
    ...(options.serverMetadata ? { metadata: options.serverMetadata } : {}),
    ...(options.manual ? { subscribeMode: 'manual' } : {}),
  });
  const client = await WebrtcTestClient.open({
    origin: shoal.origin,
    token: peerToken,
    metadata: options.metadata ?? {},
    ...(options.keep ? { keepPayloads: true } : {}),
  });
  clients.push(client);
  return client;
}

/** Joins, adds a mic and waits until media flows. */
async function speaker(
  roomId: string,
  options: Parameters<typeof join>[1] = {},
): Promise<{ client: WebrtcTestClient; trackId: string }> {
  const client = await join(roomId, options);
  const trackId = await client.addAudioTrack();
  await client.connected();
  return { client, trackId };
}

function notifications(): {
  seen: { type: string; peerId?: string; roomId?: string; track?: unknown }[];
  close: () => void;
} {
  const seen: { type: string; peerId?: string; roomId?: string; track?: unknown }[] = [];
  const notifier = new FishjamWSNotifier(
    { fishjamId: shoal.origin, managementToken: shoal.token },
    () => {},
    () => {},
  );
  for (const type of [
    'peerConnected',
    'peerDisconnected',
    'peerMetadataUpdated',
    'trackAdded',
    'trackRemoved',
    'trackMetadataUpdated',
  ] as const) {
    notifier.on(type, (msg: { peerId?: string; roomId?: string; track?: unknown }) =>
      seen.push({ type, ...msg }),
    );
  }
  return {
    seen,
    close: () => (notifier as unknown as { client: { close(): void } }).client.close(),
  };
}

describe('WebRTC peers (werift client, ts-client signaling)', () => {
  it('joins an audio_only room: room type, connected with every endpoint and its {peer, server} metadata', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const agentTrack = agent.agent.createTrack(
      { encoding: 'pcm16', sampleRate: 16000, channels: 1 },
      { label: 'assistant' },
    );
    await eventually(() =>
      shoal.server.media.existing(room.id)?.publications.size ? true : undefined,
    );
    const client = await join(room.id, { metadata: { name: 'ann' }, serverMetadata: { seat: 3 } });

    expect(client.roomType).toBe(2);
    const connected = client.events[0]?.connected;
    expect(connected?.endpointId).toBe(client.peerId);
    const endpoints = connected?.endpointIdToEndpoint ?? {};
    expect(Object.keys(endpoints).sort()).toEqual([agent.peerId, client.peerId].sort());
    expect(JSON.parse(endpoints[client.peerId]?.metadataJson ?? '')).toEqual({
      peer: { name: 'ann' },
      server: { seat: 3 },
    });
    expect(endpoints[agent.peerId]?.endpointType).toBe('agent');
    const track = endpoints[agent.peerId]?.trackIdToTrack?.[agentTrack.id];
    expect(JSON.parse(track?.metadataJson ?? '')).toEqual({ label: 'assistant' });
    expect(connected?.iceServers).toEqual([]);
    // There is a track to receive: the server starts a negotiation right away.
    await client.waitFor(() => client.answers === 1, 5000, 'first answer');
    expect(client.events[1]?.offerData?.tracksTypes).toMatchObject({ audio: 1 });
    const peer = (await fishjam.getRoom(room.id)).peers.find((p) => p.id === client.peerId);
    expect(peer?.status).toBe('connected');

    agent.agent.disconnect();
    await client.close();
    await fishjam.deleteRoom(room.id);
  });

  it('publishes a mic: the agent hears it attributed to the client, recognisably the fixture; the agent reply reaches the client', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const { client, trackId } = await speaker(room.id);
    const send = client.sendPcm(trackId, speech48k);

    await eventually(() => (agent.heard.length >= 200 ? true : undefined), 10_000);
    expect(new Set(agent.heard.map((h) => h.peerId))).toEqual(new Set([client.peerId]));
    expect(new Set(agent.heard.map((h) => h.trackId))).toEqual(new Set([trackId]));
    expect(fixtureCorrelation(samplesOf(agent.heard.slice(0, 200)), 16000)).toBeGreaterThanOrEqual(
      0.8,
    );
    send.stop();
    await send.done;

    // The agent answers with speech; the client decodes it.
    const reply = agent.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    await client.waitFor(() => client.remoteTracks.get(reply.id)?.mid !== undefined, 5000, 'reply');
    agent.agent.sendData(reply.id, toBytes(speechFixture(16000).samples));
    await eventually(() => {
      const pcm = client.receivedPcm(reply.id);
      return pcm.length >= 48000 * 3 ? pcm : undefined;
    }, 10_000);
    const pcm = client.receivedPcm(reply.id).subarray(0, 48000 * 3);
    expect(energy(pcm)).toBeGreaterThan(100);
    expect(fixtureCorrelation(pcm, 48000)).toBeGreaterThanOrEqual(0.8);
    expect(shoal.server.rtpLatency.total).toBeGreaterThan(100);

    agent.agent.disconnect();
    await client.close();
    await fishjam.deleteRoom(room.id);
  }, 30_000);

  it('two clients hear each other, forwarded without transcoding', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const a = await speaker(room.id, { keep: true });
    const b = await speaker(room.id, { keep: true });
    await a.client.waitFor(() => a.client.remoteTracks.get(b.trackId)?.mid !== undefined, 5000);
    await b.client.waitFor(() => b.client.remoteTracks.get(a.trackId)?.mid !== undefined, 5000);
    await Promise.all([a.client.connected(), b.client.connected()]);
    const fourSeconds = speech48k.subarray(0, 48000 * 4);
    const sends = [
      a.client.sendPcm(a.trackId, fourSeconds),
      b.client.sendPcm(b.trackId, fourSeconds),
    ];
    await Promise.all(sends.map((s) => s.done));
    await sleep(200);

    for (const [listener, talker] of [
      [a, b],
      [b, a],
    ] as const) {
      const remote = listener.client.remoteTracks.get(talker.trackId);
      expect(remote?.endpointId).toBe(talker.client.peerId);
      const sent = talker.client.sentPayloads.get(talker.trackId) ?? [];
      const got = remote?.payloads ?? [];
      expect(got.length).toBeGreaterThan(sent.length * 0.95);
      // Byte-identical Opus payloads, in order: forwarded, not transcoded.
      const first = sent.findIndex((p) => Buffer.from(p).equals(Buffer.from(got[0]!)));
      expect(first).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < Math.min(got.length, sent.length - first); i += 1) {
        expect(Buffer.from(got[i]!).equals(Buffer.from(sent[first + i]!))).toBe(true);
      }
      const pcm = listener.client.receivedPcm(talker.trackId);
      expect(fixtureCorrelation(pcm.subarray(0, 48000 * 3.5), 48000)).toBeGreaterThanOrEqual(0.8);
    }

    await Promise.all([a.client.close(), b.client.close()]);
    await fishjam.deleteRoom(room.id);
  }, 30_000);

  it('leaving (disconnect) emits peerDisconnected; the others get tracks_removed then endpoint_removed', async () => {
    const events = notifications();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const stayer = await join(room.id);
    const leaver = await speaker(room.id);
    await stayer.waitFor(() => stayer.remoteTracks.has(leaver.trackId), 5000);
    await eventually(() =>
      events.seen.some((e) => e.type === 'trackAdded' && e.peerId === leaver.client.peerId)
        ? true
        : undefined,
    );

    leaver.client.leave();
    await eventually(
      () =>
        events.seen.some((e) => e.type === 'peerDisconnected' && e.peerId === leaver.client.peerId)
          ? true
          : undefined,
      5000,
    );
    await stayer.waitFor(() => !stayer.endpoints.has(leaver.client.peerId), 5000);
    const mine = events.seen.filter(
      (e) => e.roomId === room.id && e.peerId === leaver.client.peerId,
    );
    expect(mine.map((e) => e.type)).toEqual([
      'peerConnected',
      'trackAdded',
      'trackRemoved',
      'peerDisconnected',
    ]);
    const kinds = stayer.events
      .map((e) => Object.keys(e.toJSON())[0])
      .filter((k) => k === 'tracksRemoved' || k === 'endpointRemoved');
    expect(kinds).toEqual(['tracksRemoved', 'endpointRemoved']);
    // The socket stays open after leave(); the session holds no media.
    expect(leaver.client.closeInfo).toBeUndefined();
    expect(shoal.server.peers.session(leaver.client.peerId)?.media).toBeUndefined();
    expect(shoal.server.media.existing(room.id)?.publications.has(leaver.trackId)).toBe(false);

    events.close();
    await Promise.all([stayer.close(), leaver.client.close()]);
    await fishjam.deleteRoom(room.id);
  });

  it('mute: metadata paused + stop sending → the agent hears nothing; others get track_updated; trackMetadataUpdated', async () => {
    const events = notifications();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const other = await join(room.id);
    const { client, trackId } = await speaker(room.id);
    const send = client.sendPcm(trackId, speech48k, { loop: true });
    await eventually(() => (agent.heard.length >= 25 ? true : undefined), 5000);

    const mutedAt = performance.now();
    client.updateTrackMetadata(trackId, { type: 'microphone', paused: true });
    send.stop();
    await sleep(700);
    expect(agent.heard.filter((h) => h.atMs > mutedAt + 200)).toHaveLength(0);
    await other.waitFor(
      () => JSON.parse(other.remoteTracks.get(trackId)?.metadataJson ?? '{}').paused === true,
      3000,
    );
    await eventually(() =>
      events.seen.some((e) => e.type === 'trackMetadataUpdated' && e.peerId === client.peerId)
        ? true
        : undefined,
    );

    // Paused on the server too: a client that keeps sending while paused is not heard.
    const leak = client.sendPcm(trackId, speech48k.subarray(0, 48000), {});
    await leak.done;
    await sleep(200);
    expect(agent.heard.filter((h) => h.atMs > mutedAt + 200)).toHaveLength(0);

    // Unmute: heard again.
    client.updateTrackMetadata(trackId, { type: 'microphone', paused: false });
    await sleep(100);
    const again = client.sendPcm(trackId, speech48k.subarray(0, 48000));
    await eventually(
      () => (agent.heard.filter((h) => h.atMs > mutedAt + 200).length >= 20 ? true : undefined),
      3000,
    );
    await again.done;

    events.close();
    agent.agent.disconnect();
    await Promise.all([client.close(), other.close()]);
    await fishjam.deleteRoom(room.id);
  });

  it('renegotiates when an agent publishes later: endpoint first, tracks_added then offer_data; slots are never reused', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { client } = await speaker(room.id);
    const agent = await listeningAgent(fishjam, room.id, 16000);
    await client.waitFor(() => client.endpoints.has(agent.peerId), 3000, 'endpoint_added');

    const first = agent.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    await client.waitFor(() => client.remoteTracks.get(first.id)?.mid !== undefined, 5000);
    const names = client.events.map((e) => Object.keys(e.toJSON())[0]);
    const added = names.indexOf('tracksAdded');
    expect(names.indexOf('endpointAdded')).toBeLessThan(added);
    expect(names[added + 1]).toBe('offerData');
    const firstMid = client.remoteTracks.get(first.id)?.mid;

    agent.agent.deleteTrack(first.id);
    await client.waitFor(() => !client.remoteTracks.has(first.id), 5000, 'tracks_removed');
    const second = agent.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    await client.waitFor(() => client.remoteTracks.get(second.id)?.mid !== undefined, 5000);
    expect(client.remoteTracks.get(second.id)?.mid).not.toBe(firstMid);
    const offers = client.events
      .filter((e) => e.offerData)
      .map((e) => e.offerData?.tracksTypes?.audio);
    // Cumulative: the retired slot still counts.
    expect(offers.at(-1)).toBe(2);
    agent.agent.sendData(second.id, toBytes(speechFixture(16000).samples.subarray(0, 16000)));
    await client.waitFor(() => client.receivedPcm(second.id).length > 48000 * 0.5, 5000, 'audio');

    agent.agent.disconnect();
    await client.waitFor(() => !client.endpoints.has(agent.peerId), 5000, 'endpoint_removed');
    await client.close();
    await fishjam.deleteRoom(room.id);
  }, 20_000);

  it('manual subscription: hears only the peers subscribe_peer granted', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const listener = await join(room.id, { manual: true });
    const talker = await speaker(room.id);
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const agentTrack = agent.agent.createTrack({
      encoding: 'pcm16',
      sampleRate: 16000,
      channels: 1,
    });
    await listener.waitFor(
      () => listener.remoteTracks.has(talker.trackId) && listener.remoteTracks.has(agentTrack.id),
      5000,
    );
    await sleep(300);
    expect(listener.remoteTracks.get(talker.trackId)?.mid).toBeUndefined();

    await fishjam.subscribePeer(room.id, listener.peerId as never, talker.client.peerId as never);
    await listener.waitFor(
      () => listener.remoteTracks.get(talker.trackId)?.mid !== undefined,
      5000,
    );
    expect(listener.remoteTracks.get(agentTrack.id)?.mid).toBeUndefined();
    const send = talker.client.sendPcm(talker.trackId, speech48k.subarray(0, 48000));
    await listener.waitFor(
      () => (listener.remoteTracks.get(talker.trackId)?.packets ?? 0) > 20,
      5000,
    );
    await send.done;

    agent.agent.disconnect();
    await Promise.all([listener.close(), talker.client.close()]);
    await fishjam.deleteRoom(room.id);
  });

  it('update_endpoint_metadata → endpoint_updated to the others and peerMetadataUpdated', async () => {
    const events = notifications();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const a = await join(room.id, { metadata: { name: 'a' } });
    const b = await join(room.id, { metadata: { name: 'b' } });
    await a.waitFor(() => a.endpoints.has(b.peerId), 3000);
    expect(JSON.parse(a.endpoints.get(b.peerId)?.metadataJson ?? '')).toEqual({
      peer: { name: 'b' },
      server: {},
    });
    b.updatePeerMetadata({ name: 'bee' });
    await a.waitFor(
      () => JSON.parse(a.endpoints.get(b.peerId)?.metadataJson ?? '{}').peer?.name === 'bee',
      3000,
    );
    await eventually(() =>
      events.seen.some((e) => e.type === 'peerMetadataUpdated' && e.peerId === b.peerId)
        ? true
        : undefined,
    );
    events.close();
    await Promise.all([a.close(), b.close()]);
    await fishjam.deleteRoom(room.id);
  });

  it('a reconnect with the same token replaces the old session; deleting the peer or the room closes with Fishjam reasons', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { peer, peerToken } = await fishjam.createPeer(room.id);
    const first = await WebrtcTestClient.open({ origin: shoal.origin, token: peerToken });
    clients.push(first);
    const second = await WebrtcTestClient.open({ origin: shoal.origin, token: peerToken });
    clients.push(second);
    await first.waitFor(() => first.closeInfo !== undefined, 3000);
    expect(first.closeInfo).toEqual({ code: 1000, reason: 'replaced by a new connection' });
    expect((await fishjam.getRoom(room.id)).peers[0]?.status).toBe('connected');

    await fishjam.deletePeer(room.id, peer.id);
    await second.waitFor(() => second.closeInfo !== undefined, 3000);
    expect(second.closeInfo).toEqual({ code: 1000, reason: 'Peer removed' });

    const { peerToken: other } = await fishjam.createPeer(room.id);
    const third = await WebrtcTestClient.open({ origin: shoal.origin, token: other });
    clients.push(third);
    await fishjam.deleteRoom(room.id);
    await third.waitFor(() => third.closeInfo !== undefined, 3000);
    expect(third.closeInfo).toEqual({ code: 1000, reason: 'Room stopped' });
    expect(shoal.server.peers.session(peer.id)).toBeUndefined();
    expect(shoal.server.peers.session(third.peerId)).toBeUndefined();
  });
});

describe('ICE options', () => {
  it('--public-ip and --rtp-port-range: the answer carries exactly that address and a port in range', async () => {
    const server = await startShoal({
      host: '0.0.0.0',
      webrtc: { publicIp: '127.0.0.1', rtpPortRange: [42000, 42099], iceTimeoutMs: 15_000 },
    });
    try {
      const sdk = new FishjamClient({ fishjamId: server.origin, managementToken: server.token });
      const room = await sdk.createRoom({ roomType: 'audio_only' });
      const { peerToken } = await sdk.createPeer(room.id);
      const client = await WebrtcTestClient.open({ origin: server.origin, token: peerToken });
      clients.push(client);
      await client.addAudioTrack();
      await client.connected();
      const answer = client.events.find((e) => e.sdpAnswer)?.sdpAnswer?.sdp ?? '';
      const candidates = answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      expect(candidates.length).toBeGreaterThan(0);
      for (const line of candidates) {
        const [, , , , address, port] = line.split(' ');
        expect(address).toBe('127.0.0.1');
        expect(Number(port)).toBeGreaterThanOrEqual(42000);
        expect(Number(port)).toBeLessThanOrEqual(42099);
      }
      expect(answer).toContain('a=ice-lite');
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('WebRTC peers that vanish', () => {
  let fast: RunningShoal;
  let fastFishjam: FishjamClient;
  beforeAll(async () => {
    fast = await startShoal({
      webrtc: { publicIp: undefined, rtpPortRange: undefined, iceTimeoutMs: 1500 },
    });
    fastFishjam = new FishjamClient({ fishjamId: fast.origin, managementToken: fast.token });
  });
  afterAll(() => fast.close());

  it('a peer silent on the network (ICE/DTLS timeout) is disconnected and freed; the other keeps talking', async () => {
    const disconnected: string[] = [];
    const notifier = new FishjamWSNotifier(
      { fishjamId: fast.origin, managementToken: fast.token },
      () => {},
      () => {},
    );
    notifier.on('peerDisconnected', (msg: { peerId: string }) => disconnected.push(msg.peerId));
    const room = await fastFishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fastFishjam, room.id, 16000);
    const open = async (): Promise<{ client: WebrtcTestClient; trackId: string }> => {
      const { peerToken } = await fastFishjam.createPeer(room.id);
      const client = await WebrtcTestClient.open({ origin: fast.origin, token: peerToken });
      clients.push(client);
      const trackId = await client.addAudioTrack();
      await client.connected();
      return { client, trackId };
    };
    const ghost = await open();
    const alive = await open();
    const sends = [
      ghost.client.sendPcm(ghost.trackId, speech48k, { loop: true }),
      alive.client.sendPcm(alive.trackId, speech48k, { loop: true }),
    ];
    await eventually(() =>
      agent.heard.some((h) => h.peerId === ghost.client.peerId) &&
      agent.heard.some((h) => h.peerId === alive.client.peerId)
        ? true
        : undefined,
    );

    const vanishedAt = performance.now();
    ghost.client.vanish();
    await eventually(() => (disconnected.includes(ghost.client.peerId) ? true : undefined), 5000);
    const tookMs = performance.now() - vanishedAt;
    expect(tookMs).toBeGreaterThan(1000);
    expect(tookMs).toBeLessThan(4000);
    await ghost.client.waitFor(() => ghost.client.closeInfo !== undefined, 2000, 'ghost closed');
    expect(ghost.client.closeInfo?.reason).toMatch(/^media connection lost: no media/);
    expect(fast.server.peers.session(ghost.client.peerId)).toBeUndefined();
    expect(fast.server.media.existing(room.id)?.publications.has(ghost.trackId)).toBe(false);
    await alive.client.waitFor(() => !alive.client.endpoints.has(ghost.client.peerId), 3000);

    // The other peer is still heard.
    const before = agent.heard.filter((h) => h.peerId === alive.client.peerId).length;
    await eventually(
      () =>
        agent.heard.filter((h) => h.peerId === alive.client.peerId).length - before >= 25
          ? true
          : undefined,
      3000,
    );
    expect(disconnected).not.toContain(alive.client.peerId);

    sends.forEach((s) => s.stop());
    (notifier as unknown as { client: { close(): void } }).client.close();
    agent.agent.disconnect();
    await fastFishjam.deleteRoom(room.id);
  }, 20_000);
});
