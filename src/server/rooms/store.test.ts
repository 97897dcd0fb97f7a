import { describe, expect, it } from 'vitest';
import type { PeerRecord, RoomRecord } from './model.js';
import { MemoryRoomStore } from './store.js';

const room = (id: string): RoomRecord => ({
  id,
  config: {
    maxPeers: null,
    public: false,
    roomType: 'conference',
    videoCodec: 'h264',
    webhookUrl: null,
  },
  peers: [],
  createdAtMs: 0,
});

const peer = (id: string): PeerRecord => ({
  id,
  roomId: 'r',
  type: 'webrtc',
  status: 'disconnected',
  metadata: { name: id },
  clientMetadata: null,
  subscribeMode: 'auto',
  subscriptions: { peers: [], tracks: [] },
  tracks: [],
  tokenGeneration: 0,
  agentOutput: null,
});

describe('MemoryRoomStore', () => {
  it('hands out copies: changing a returned record changes nothing stored', async () => {
    const store = new MemoryRoomStore();
    await store.createRoom(room('r'));
    await store.addPeer('r', peer('a'), null);
    const copy = await store.getRoom('r');
    copy!.peers.length = 0;
    (await store.getPeer('r', 'a'))!.status = 'connected';
    expect((await store.getRoom('r'))!.peers).toHaveLength(1);
    expect((await store.getPeer('r', 'a'))!.status).toBe('disconnected');
  });

  it('adds peers atomically against the limit and reports a missing room', async () => {
    const store = new MemoryRoomStore();
    await store.createRoom(room('r'));
    const results = await Promise.all(['a', 'b', 'c'].map((id) => store.addPeer('r', peer(id), 2)));
    expect(results.sort()).toEqual(['ok', 'ok', 'peer_limit']);
    expect(await store.addPeer('nope', peer('d'), null)).toBe('room_not_found');
    await expect(store.createRoom(room('r'))).rejects.toThrow(/exists/);
  });

  it('updates and deletes peers and rooms', async () => {
    const store = new MemoryRoomStore();
    await store.createRoom(room('r'));
    await store.addPeer('r', peer('a'), null);
    const updated = await store.updatePeer('r', 'a', (p) => {
      p.tokenGeneration += 1;
    });
    expect(updated?.tokenGeneration).toBe(1);
    expect(await store.updatePeer('r', 'missing', () => {})).toBeUndefined();
    expect((await store.deletePeer('r', 'a'))?.id).toBe('a');
    expect(await store.deletePeer('r', 'a')).toBeUndefined();
    expect((await store.deleteRoom('r'))?.id).toBe('r');
    expect(await store.listRooms()).toEqual([]);
  });
});
