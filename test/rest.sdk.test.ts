import {
  BadRequestException,
  FishjamClient,
  FishjamNotFoundException,
  PeerNotFoundException,
  RoomNotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  type RoomId,
  type PeerId,
  type TrackId,
} from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
beforeAll(async () => {
  shoal = await startShoal();
});
afterAll(() => shoal.close());

const MISSING = '00000000-0000-4000-8000-000000000000';

describe.each([
  ['bare origin', () => shoal.origin],
  ['/api/v1/connect prefix', () => shoal.prefixed],
])('official js-server-sdk 0.25 against Shoal (%s)', (_label, fishjamId) => {
  const client = (token = shoal.token): FishjamClient =>
    new FishjamClient({ fishjamId: fishjamId(), managementToken: token });

  it('creates, lists, gets and deletes rooms', async () => {
    const fishjam = client();
    const room = await fishjam.createRoom({ roomType: 'audio_only', maxPeers: 4 });
    expect(room.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(room.config).toMatchObject({ roomType: 'audio_only', maxPeers: 4, videoCodec: 'h264' });
    expect(room.peers).toEqual([]);
    const defaults = await fishjam.createRoom();
    expect(defaults.config).toMatchObject({
      roomType: 'conference',
      maxPeers: null,
      public: false,
    });

    const all = await fishjam.getAllRooms();
    expect(all.map((r) => r.id)).toEqual(expect.arrayContaining([room.id, defaults.id]));
    expect((await fishjam.getRoom(room.id)).id).toBe(room.id);

    await fishjam.deleteRoom(room.id);
    await fishjam.deleteRoom(defaults.id);
    await expect(fishjam.getRoom(room.id)).rejects.toBeInstanceOf(RoomNotFoundException);
    await expect(fishjam.deleteRoom(room.id)).rejects.toBeInstanceOf(RoomNotFoundException);
  });

  it('creates webrtc peers with metadata and subscribe mode, and deletes them', async () => {
    const fishjam = client();
    const room = await fishjam.createRoom();
    const { peer, peerToken } = await fishjam.createPeer(room.id, {
      metadata: { name: 'alice' },
      subscribeMode: 'manual',
    });
    expect(peerToken.length).toBeGreaterThan(20);
    expect(peer).toMatchObject({
      type: 'webrtc',
      status: 'disconnected',
      metadata: { name: 'alice' },
      subscribeMode: 'manual',
      tracks: [],
      subscriptions: { peers: [], tracks: [] },
    });
    const fetched = await fishjam.getRoom(room.id);
    expect(fetched.peers.map((p) => p.id)).toEqual([peer.id]);

    await fishjam.deletePeer(room.id, peer.id);
    expect((await fishjam.getRoom(room.id)).peers).toEqual([]);
    await expect(fishjam.deletePeer(room.id, peer.id)).rejects.toBeInstanceOf(
      PeerNotFoundException,
    );
    await fishjam.deleteRoom(room.id);
  });

  it('refreshes tokens, subscribes to peers and tracks', async () => {
    const fishjam = client();
    const room = await fishjam.createRoom();
    const { peer: a, peerToken } = await fishjam.createPeer(room.id, { subscribeMode: 'manual' });
    const { peer: b } = await fishjam.createPeer(room.id);

    const fresh = await fishjam.refreshPeerToken(room.id, a.id);
    expect(fresh).not.toBe(peerToken);

    await fishjam.subscribePeer(room.id, a.id, b.id);
    await fishjam.subscribeTracks(room.id, a.id, ['track-1', 'track-2'] as TrackId[]);
    const updated = (await fishjam.getRoom(room.id)).peers.find((p) => p.id === a.id);
    expect(updated?.subscriptions).toEqual({ peers: [b.id], tracks: ['track-1', 'track-2'] });

    await expect(fishjam.refreshPeerToken(room.id, MISSING as PeerId)).rejects.toBeInstanceOf(
      PeerNotFoundException,
    );
    await expect(fishjam.subscribePeer(room.id, MISSING as PeerId, b.id)).rejects.toBeInstanceOf(
      PeerNotFoundException,
    );
    await expect(
      fishjam.subscribeTracks(room.id, MISSING as PeerId, ['t'] as TrackId[]),
    ).rejects.toBeInstanceOf(PeerNotFoundException);
    await fishjam.deleteRoom(room.id);
  });

  it('creates agent peers with output options (createAgent) and a peer_websocket_url', async () => {
    const fishjam = client();
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const { agent, peer } = await fishjam.createAgent(room.id, {
      output: { audioFormat: 'pcm16', audioSampleRate: 24000 },
      subscribeMode: 'auto',
    });
    expect(peer).toMatchObject({ type: 'agent', subscribeMode: 'auto' });
    const connected = await eventually(async () => {
      const p = (await fishjam.getRoom(room.id)).peers.find((x) => x.id === peer.id);
      return p?.status === 'connected' ? p : undefined;
    });
    expect(connected.id).toBe(peer.id);
    agent.disconnect();

    // The raw REST answer carries the peer socket URL (the SDK does not surface it).
    const res = await fetch(`${fishjamId().replace(/\/$/, '')}/room/${room.id}/peer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${shoal.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'webrtc', options: {} }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: { peer_websocket_url: string } };
    expect(body.data.peer_websocket_url).toMatch(
      /^ws:\/\/127\.0\.0\.1:\d+\/socket\/peer\/websocket$/,
    );
    await fishjam.deleteRoom(room.id);
  });

  it('issues livestream viewer and streamer tokens', async () => {
    const fishjam = client();
    const live = await fishjam.createRoom({ roomType: 'livestream' });
    const viewer = await fishjam.createLivestreamViewerToken(live.id);
    const streamer = await fishjam.createLivestreamStreamerToken(live.id);
    expect(viewer.token.length).toBeGreaterThan(20);
    expect(streamer.token.length).toBeGreaterThan(20);
    const conference = await fishjam.createRoom();
    await expect(fishjam.createLivestreamViewerToken(conference.id)).rejects.toBeInstanceOf(
      BadRequestException,
    );
    await expect(fishjam.createLivestreamViewerToken(MISSING as RoomId)).rejects.toBeInstanceOf(
      FishjamNotFoundException,
    );
    await fishjam.deleteRoom(live.id);
    await fishjam.deleteRoom(conference.id);
  });

  it('maps errors to the SDK exception classes', async () => {
    const fishjam = client();
    await expect(client('wrong-token').getAllRooms()).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(fishjam.getRoom(MISSING as RoomId)).rejects.toBeInstanceOf(RoomNotFoundException);
    await expect(fishjam.createPeer(MISSING as RoomId)).rejects.toBeInstanceOf(
      FishjamNotFoundException,
    );
    await expect(fishjam.createRoom({ videoCodec: 'av1' as never })).rejects.toBeInstanceOf(
      BadRequestException,
    );

    const small = await fishjam.createRoom({ maxPeers: 1 });
    await fishjam.createPeer(small.id);
    const full = fishjam.createPeer(small.id);
    await expect(full).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(full).rejects.toMatchObject({
      details: `Reached webrtc peers limit in room ${small.id}`,
    });
    await fishjam.deleteRoom(small.id);
  });
});
