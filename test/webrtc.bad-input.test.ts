/**
 * Bad input on the peer socket: every case gets a clear close reason or `error` media event, and
 * another WebRTC peer in the same room keeps talking to the agent throughout.
 */
import { FishjamClient, type RoomId } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerMessage } from '../src/protocol/index.js';
import { agentToken, listeningAgent } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';
import { speechFixture } from './helpers/wav.js';
import { WebrtcTestClient } from './helpers/webrtc-client.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
let roomId: RoomId;
let agent: Awaited<ReturnType<typeof listeningAgent>>;
let healthy: WebrtcTestClient;
let stopHealthy: () => void;
const clients: WebrtcTestClient[] = [];

beforeAll(async () => {
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
  roomId = (await fishjam.createRoom({ roomType: 'audio_only' })).id;
  agent = await listeningAgent(fishjam, roomId, 16000);
  const { peerToken } = await fishjam.createPeer(roomId as RoomId);
  healthy = await WebrtcTestClient.open({ origin: shoal.origin, token: peerToken, decode: false });
  const trackId = await healthy.addAudioTrack();
  await healthy.connected();
  stopHealthy = healthy.sendPcm(trackId, speechFixture(48000).samples, { loop: true }).stop;
  await eventually(() => (heardFromHealthy() > 10 ? true : undefined), 5000);
}, 20_000);

afterAll(async () => {
  stopHealthy?.();
  agent?.agent.disconnect();
  await Promise.all([...clients, healthy].map((c) => c?.close()));
  await shoal?.close();
});

const heardFromHealthy = (): number =>
  agent.heard.filter((h) => h.peerId === healthy.peerId).length;

async function expectHealthyStillTalking(): Promise<void> {
  const before = heardFromHealthy();
  await eventually(() => (heardFromHealthy() - before >= 10 ? true : undefined), 2000);
  expect(healthy.closeInfo).toBeUndefined();
  expect(healthy.errors).toEqual([]);
}

async function open(
  token: string,
  stage: 'open' | 'authenticated' | 'joined',
): Promise<WebrtcTestClient> {
  const client = await WebrtcTestClient.open({ origin: shoal.origin, token }, stage);
  clients.push(client);
  return client;
}

async function peerToken(room: string = roomId): Promise<{ token: string; peerId: string }> {
  const { peer, peerToken } = await fishjam.createPeer(room as RoomId);
  return { token: peerToken, peerId: peer.id };
}

describe('peer socket: close reasons ts-client interprets', () => {
  const cases: [string, () => Promise<string>, (c: WebrtcTestClient) => void, number, string][] = [
    [
      'garbage bytes as the first frame',
      async () => '',
      (c) => c.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0x0f])),
      1007,
      'malformed message',
    ],
    ['a text frame', async () => '', (c) => c.sendRaw('hello'), 1003, 'binary frames only'],
    [
      'a media event before AuthRequest',
      async () => '',
      (c) => c.sendMediaEvent({ connect: { metadataJson: '{}' } }),
      1000,
      'unauthenticated',
    ],
    [
      'AuthRequest without a token',
      async () => '',
      (c) => c.sendPeerMessage({ authRequest: { token: '', sdkVersion: 'web-0.25.1' } }),
      1000,
      'missing token',
    ],
    [
      'a forged token',
      async () => 'eyJhIjoxfQ.c2lnbmF0dXJl',
      (c) => c.sendPeerMessage({ authRequest: { token: 'eyJhIjoxfQ.c2lnbmF0dXJl' } }),
      1000,
      'invalid token',
    ],
    [
      'an expired token',
      async () => {
        const { peerId } = await peerToken();
        return shoal.server.rooms.tokens.sign(
          { kind: 'peer', roomId, subjectId: peerId, generation: 0 },
          -1000,
        );
      },
      () => {},
      1000,
      'expired token',
    ],
    [
      'an agent token',
      async () => (await agentToken(shoal.origin, shoal.token, roomId)).token,
      () => {},
      1000,
      'invalid token',
    ],
    [
      'a token of a deleted room',
      async () => {
        const room = await fishjam.createRoom({ roomType: 'audio_only' });
        const { token } = await peerToken(room.id);
        await fishjam.deleteRoom(room.id);
        return token;
      },
      () => {},
      1000,
      'room not found',
    ],
    [
      'a token of a deleted peer',
      async () => {
        const { token, peerId } = await peerToken();
        await fishjam.deletePeer(roomId as RoomId, peerId as never);
        return token;
      },
      () => {},
      1000,
      'peer not found',
    ],
  ];

  it.each(
    cases.map(
      ([name, makeToken, send, code, reason]) => [name, code, reason, makeToken, send] as const,
    ),
  )('%s → %i %s', async (_name, code, reason, makeToken, send) => {
    const token = await makeToken();
    const client = await open(token, 'open');
    if (token) {
      client.sendPeerMessage({ authRequest: { token, sdkVersion: 'web-0.25.1' } });
    }
    send(client);
    expect(await client.closed()).toEqual({ code, reason });
    await expectHealthyStillTalking();
  });

  it('after auth: garbage → 1007, a second AuthRequest → 1003, an oversize frame → 1009', async () => {
    const a = await open((await peerToken()).token, 'joined');
    a.sendRaw(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(await a.closed()).toEqual({ code: 1007, reason: 'malformed message' });

    const b = await open((await peerToken()).token, 'authenticated');
    b.sendPeerMessage({ authRequest: { token: 'again' } });
    expect(await b.closed()).toEqual({ code: 1003, reason: 'already authenticated' });

    const c = await open((await peerToken()).token, 'joined');
    c.sendPeerMessage({
      peerMediaEvent: { sdpOffer: { sdp: `v=0\n${'a=x\n'.repeat(300_000)}` } },
    });
    expect((await c.closed()).code).toBe(1009);
    await expectHealthyStillTalking();
    // The peers that left are disconnected, the room goes on.
    const peers = (await fishjam.getRoom(roomId)).peers;
    for (const client of [a, b, c]) {
      await eventually(async () =>
        (await fishjam.getRoom(roomId)).peers.find((p) => p.id === client.peerId)?.status !==
        'connected'
          ? true
          : undefined,
      );
    }
    expect(peers.find((p) => p.id === healthy.peerId)?.status).toBe('connected');
  });
});

describe('peer socket: offers the server cannot use get an `error` media event', () => {
  const noMid =
    'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' +
    'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n';
  const pcmuOnly =
    'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' +
    'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n' +
    'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n' +
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n' +
    'a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n';

  it.each([
    [
      'an SDP that does not parse',
      'hello, I am not SDP',
      /^SDP offer rejected: not an SDP description/,
    ],
    [
      'an m-line without a=mid',
      noMid,
      /^SDP offer rejected: media section 0 \(audio\) has no a=mid/,
    ],
    [
      'an offer with no supported audio codec',
      pcmuOnly,
      /^SDP offer rejected: audio section mid=0 offers no supported codec \(offered: pcmu; Shoal needs opus\/48000\/2\)/,
    ],
  ])('%s', async (_name, sdp, message) => {
    const client = await open((await peerToken()).token, 'joined');
    client.sendMediaEvent({ renegotiateTracks: {} });
    await client.waitFor(() => client.events.some((e) => e.offerData), 3000, 'offer_data');
    client.sendMediaEvent({
      sdpOffer: { sdp, midToTrackId: { '0': `${client.peerId}:x` }, trackIdToMetadataJson: {} },
    });
    await client.waitFor(() => client.errors.length > 0, 3000, 'error event');
    expect(client.errors[0]).toMatch(message);
    // The server keeps the socket: ts-client disconnects by itself on `error`.
    expect(client.closeInfo).toBeUndefined();
    expect(shoal.server.media.existing(roomId)?.publications.has(`${client.peerId}:x`)).toBe(false);
    await expectHealthyStillTalking();
    await client.close();
  });

  it('candidates and offers before connect, and metadata for unknown tracks, are ignored; the peer then works', async () => {
    const { token } = await peerToken();
    const client = await open(token, 'authenticated');
    const candidate = {
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
      sdpMLineIndex: 0,
      sdpMid: '0',
      usernameFragment: 'x',
    };
    client.sendMediaEvent({ candidate });
    client.sendMediaEvent({ sdpOffer: { sdp: 'v=0\r\n' } });
    client.sendMediaEvent({ renegotiateTracks: {} });
    client.sendMediaEvent({ connect: { metadataJson: '{not json' } });
    await client.waitFor(() => client.peerId !== '', 3000, 'connected');
    client.sendMediaEvent({ candidate });
    client.sendMediaEvent({ candidate: {} });
    client.sendMediaEvent({ updateTrackMetadata: { trackId: 'nope', metadataJson: '{}' } });
    client.sendMediaEvent({ unmuteTrack: { trackId: 'nope' } });
    client.sendMediaEvent({ setTargetTrackVariant: { trackId: 'nope', variant: 1 } });
    client.sendPeerMessage({ rtcStatsReport: { data: '{"x":1}' } });
    client.sendPeerMessage({ mediaEvent: { data: '{"type":"legacy"}' } });
    client.sendRaw(PeerMessage.encode({}).finish());

    const trackId = await client.addAudioTrack();
    await client.connected();
    const send = client.sendPcm(trackId, speechFixture(48000).samples.subarray(0, 48000));
    await eventually(
      () => (agent.heard.filter((h) => h.peerId === client.peerId).length > 20 ? true : undefined),
      3000,
    );
    await send.done;
    expect(client.errors).toEqual([]);
    expect(client.closeInfo).toBeUndefined();
    // Non-JSON client metadata is kept as a string.
    const me = JSON.parse(client.endpoints.get(client.peerId)?.metadataJson ?? '{}');
    expect(me.peer).toBe('{not json');
    await expectHealthyStillTalking();
    await client.close();
  });

  it('audio_only refuses video: the video m-line is answered inactive and never published', async () => {
    const client = await open((await peerToken()).token, 'joined');
    const audio = await client.addAudioTrack();
    const video = await client.addVideoTrack();
    expect(client.localMid(audio)).toBeDefined();
    expect(client.localMid(video)).toBeUndefined();
    const tracks = (await fishjam.getRoom(roomId)).peers.find(
      (p) => p.id === client.peerId,
    )?.tracks;
    expect(tracks?.map((t) => t.id)).toEqual([audio]);
    expect(shoal.server.media.existing(roomId)?.publications.has(video)).toBe(false);
    expect(client.errors).toEqual([]);
    await expectHealthyStillTalking();
    await client.close();
  });
});

describe('conference rooms forward video as-is', () => {
  it('a VP8 track reaches the other peer byte for byte; a new subscriber triggers a key-frame request', async () => {
    const room = await fishjam.createRoom({ roomType: 'conference', videoCodec: 'vp8' });
    const join = async (keep = false): Promise<WebrtcTestClient> => {
      const { peerToken } = await fishjam.createPeer(room.id);
      const client = await WebrtcTestClient.open({
        origin: shoal.origin,
        token: peerToken,
        keepPayloads: keep,
      });
      clients.push(client);
      return client;
    };
    const sender = await join();
    const video = await sender.addVideoTrack();
    expect(sender.localMid(video)).toBeDefined();
    await sender.connected();
    const receiver = await join(true);
    await receiver.waitFor(() => receiver.remoteTracks.get(video)?.mid !== undefined, 5000, 'mid');
    await receiver.connected();
    await eventually(() => (sender.pliCount(video) > 0 ? true : undefined), 3000);
    const sent = await sender.sendVideo(video, 40);
    await receiver.waitFor(
      () => (receiver.remoteTracks.get(video)?.payloads.length ?? 0) >= 38,
      3000,
      'video packets',
    );
    const got = receiver.remoteTracks.get(video)?.payloads ?? [];
    const first = sent.findIndex((p) => Buffer.from(p).equals(Buffer.from(got[0]!)));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(got[1]!).equals(Buffer.from(sent[first + 1]!))).toBe(true);
    await Promise.all([sender.close(), receiver.close()]);
    await fishjam.deleteRoom(room.id);
  });
});
