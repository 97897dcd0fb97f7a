import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerType } from '../src/protocol/index.js';
import {
  BadRequestError,
  Notifier,
  PeerNotFoundError,
  RoomNotFoundError,
  ServerUnreachableError,
  ShoalClient,
  UnauthorizedError,
  peerTypeName,
} from '../src/sdk/index.js';
import { eventually, startShoal, type RunningShoal } from './helpers/server.js';

let shoal: RunningShoal;
beforeAll(async () => {
  shoal = await startShoal();
});
afterAll(() => shoal.close());

describe('sdk: ShoalClient and Notifier against a running Shoal', () => {
  it.each(['origin', 'prefixed'] as const)(
    'covers rooms, peers, agents and subscriptions (%s URL)',
    async (shape) => {
      const client = new ShoalClient({ serverUrl: shoal[shape], managementToken: shoal.token });
      await client.checkCredentials();
      const room = await client.createRoom({ roomType: 'audio_only', maxPeers: 5 });
      expect(room.config.roomType).toBe('audio_only');
      const { peer, peerToken, peerWebsocketUrl } = await client.createPeer(room.id, {
        metadata: { name: 'ann' },
      });
      expect(peerToken.length).toBeGreaterThan(10);
      expect(peerWebsocketUrl).toMatch(/\/socket\/peer\/websocket$/);
      const agent = await client.createAgentPeer(room.id, { output: { audioSampleRate: 24000 } });
      expect(agent.peer.type).toBe('agent');
      expect(await client.refreshPeerToken(room.id, agent.peer.id)).not.toBe(agent.token);
      await client.subscribePeer(room.id, agent.peer.id, peer.id);
      await client.subscribeTracks(room.id, agent.peer.id, []);
      const fetched = await client.getRoom(room.id);
      expect(fetched.peers.map((p) => p.id).sort()).toEqual([peer.id, agent.peer.id].sort());
      expect((await client.getAllRooms()).some((r) => r.id === room.id)).toBe(true);
      await client.deletePeer(room.id, peer.id);
      await expect(client.deletePeer(room.id, peer.id)).rejects.toBeInstanceOf(PeerNotFoundError);
      await client.deleteRoom(room.id);
      await expect(client.getRoom(room.id)).rejects.toBeInstanceOf(RoomNotFoundError);
      await expect(client.getRoom(room.id)).rejects.toMatchObject({
        code: 'ROOM_NOT_FOUND',
        statusCode: 404,
      });
    },
  );

  it('maps error statuses to typed errors', async () => {
    const bad = new ShoalClient({ serverUrl: shoal.origin, managementToken: 'wrong' });
    await expect(bad.checkCredentials()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(bad.checkCredentials()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      details: 'Invalid token',
    });
    const client = new ShoalClient({ serverUrl: shoal.origin, managementToken: shoal.token });
    await expect(client.createRoom({ maxPeers: 'x' as never })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    const nowhere = new ShoalClient({ serverUrl: 'http://127.0.0.1:1', managementToken: 't' });
    await expect(nowhere.getAllRooms()).rejects.toBeInstanceOf(ServerUnreachableError);
    await expect(nowhere.getAllRooms()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
    });
  });

  it('the notifier delivers typed events in order and refuses a bad token', async () => {
    const client = new ShoalClient({ serverUrl: shoal.prefixed, managementToken: shoal.token });
    const notifier = client.notifier();
    const seen: string[] = [];
    notifier.on('roomCreated', (m) => seen.push(`roomCreated:${m.roomId}`));
    notifier.on('peerAdded', (m) => seen.push(`peerAdded:${peerTypeName(m.peerType)}`));
    notifier.on('peerDeleted', (m) =>
      seen.push(`peerDeleted:${m.peerType === PeerType.PEER_TYPE_AGENT ? 'agent' : 'webrtc'}`),
    );
    notifier.on('roomDeleted', (m) => seen.push(`roomDeleted:${m.roomId}`));
    await notifier.connect();
    expect(notifier.connected).toBe(true);
    const room = await client.createRoom();
    const agent = await client.createAgentPeer(room.id);
    await client.deletePeer(room.id, agent.peer.id);
    await client.deleteRoom(room.id);
    await eventually(() => (seen.length >= 4 ? true : undefined));
    expect(seen).toEqual([
      `roomCreated:${room.id}`,
      'peerAdded:agent',
      'peerDeleted:agent',
      `roomDeleted:${room.id}`,
    ]);
    notifier.close();
    notifier.close();

    const bad = new Notifier({ serverUrl: shoal.origin, managementToken: 'wrong' });
    await expect(bad.connect()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(bad.connected).toBe(false);
  });
});
