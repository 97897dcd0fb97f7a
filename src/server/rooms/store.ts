import type { PeerRecord, RoomRecord } from './model.js';

export type AddPeerResult = 'ok' | 'room_not_found' | 'peer_limit';

/**
 * Where control-plane state lives. Every method is async and works on snapshots, so a shared
 * store (for example Redis, with each method one atomic script) can implement it without
 * touching routes or sockets. Returned records are copies: mutating them changes nothing.
 */
export interface RoomStore {
  createRoom(room: RoomRecord): Promise<void>;
  getRoom(roomId: string): Promise<RoomRecord | undefined>;
  listRooms(): Promise<RoomRecord[]>;
  /** Removes the room and returns what it was. */
  deleteRoom(roomId: string): Promise<RoomRecord | undefined>;
  /** Adds the peer unless the room is gone or already holds `limit` peers (atomic). */
  addPeer(roomId: string, peer: PeerRecord, limit: number | null): Promise<AddPeerResult>;
  getPeer(roomId: string, peerId: string): Promise<PeerRecord | undefined>;
  /** Applies `change` to the stored peer atomically; returns the updated copy. */
  updatePeer(
    roomId: string,
    peerId: string,
    change: (peer: PeerRecord) => void,
  ): Promise<PeerRecord | undefined>;
  deletePeer(roomId: string, peerId: string): Promise<PeerRecord | undefined>;
}

/** In-memory store: one process, the default. */
export class MemoryRoomStore implements RoomStore {
  readonly #rooms = new Map<string, RoomRecord>();

  async createRoom(room: RoomRecord): Promise<void> {
    if (this.#rooms.has(room.id)) {
      throw new Error(`room ${room.id} exists`);
    }
    this.#rooms.set(room.id, structuredClone(room));
  }

  async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const room = this.#rooms.get(roomId);
    return room && structuredClone(room);
  }

  async listRooms(): Promise<RoomRecord[]> {
    return [...this.#rooms.values()].map((room) => structuredClone(room));
  }

  async deleteRoom(roomId: string): Promise<RoomRecord | undefined> {
    const room = this.#rooms.get(roomId);
    this.#rooms.delete(roomId);
    return room;
  }

  async addPeer(roomId: string, peer: PeerRecord, limit: number | null): Promise<AddPeerResult> {
    const room = this.#rooms.get(roomId);
    if (!room) {
      return 'room_not_found';
    }
    if (limit !== null && room.peers.length >= limit) {
      return 'peer_limit';
    }
    room.peers.push(structuredClone(peer));
    return 'ok';
  }

  async getPeer(roomId: string, peerId: string): Promise<PeerRecord | undefined> {
    const peer = this.#find(roomId, peerId);
    return peer && structuredClone(peer);
  }

  async updatePeer(
    roomId: string,
    peerId: string,
    change: (peer: PeerRecord) => void,
  ): Promise<PeerRecord | undefined> {
    const peer = this.#find(roomId, peerId);
    if (!peer) {
      return undefined;
    }
    const next = structuredClone(peer);
    change(next);
    Object.assign(peer, next);
    return structuredClone(next);
  }

  async deletePeer(roomId: string, peerId: string): Promise<PeerRecord | undefined> {
    const room = this.#rooms.get(roomId);
    const index = room?.peers.findIndex((p) => p.id === peerId) ?? -1;
    if (!room || index < 0) {
      return undefined;
    }
    const [removed] = room.peers.splice(index, 1);
    return removed;
  }

  #find(roomId: string, peerId: string): PeerRecord | undefined {
    return this.#rooms.get(roomId)?.peers.find((p) => p.id === peerId);
  }
}
