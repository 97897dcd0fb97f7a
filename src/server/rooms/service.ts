import { randomUUID } from 'node:crypto';
import { ShoalError, TypedEmitter } from '../../protocol/index.js';
import type { TokenSigner } from '../auth/index.js';
import type { NotificationBus } from '../notifications/index.js';
import type {
  AgentOutput,
  PeerRecord,
  PeerType,
  RoomConfig,
  RoomRecord,
  SubscribeMode,
  TrackRecord,
} from './model.js';
import { isLivestream } from './model.js';
import type { RoomStore } from './store.js';

export interface RoomServiceOptions {
  store: RoomStore;
  bus: NotificationBus;
  tokens: TokenSigner;
  tokenTtlMs: number;
}

export interface NewPeer {
  type: PeerType;
  metadata: Record<string, unknown> | null;
  subscribeMode: SubscribeMode;
  agentOutput: AgentOutput | null;
}

/** Fishjam's wire numbers for peer types (ServerMessage.PeerType). */
export function peerTypeNumber(type: PeerType): 1 | 2 {
  return type === 'webrtc' ? 1 : 2;
}

/** In-process changes the live media needs that are not Fishjam notifications. */
export interface RoomServiceEvents extends Record<string, unknown[]> {
  subscriptionsChanged: [
    roomId: string,
    peerId: string,
    subscriptions: PeerRecord['subscriptions'],
  ];
  /** A room is being deleted: live sessions close with "Room stopped" before its peers are announced gone. */
  roomClosing: [roomId: string];
}

/**
 * Room and peer lifecycle. Every change goes to the store first, then to the bus, so
 * notifications leave in the order the changes happened.
 */
export class RoomService {
  readonly #store: RoomStore;
  readonly #bus: NotificationBus;
  readonly #tokens: TokenSigner;
  readonly #tokenTtlMs: number;
  readonly events = new TypedEmitter<RoomServiceEvents>();

  constructor(options: RoomServiceOptions) {
    this.#store = options.store;
    this.#bus = options.bus;
    this.#tokens = options.tokens;
    this.#tokenTtlMs = options.tokenTtlMs;
  }

  get tokens(): TokenSigner {
    return this.#tokens;
  }

  async createRoom(config: RoomConfig): Promise<RoomRecord> {
    const room: RoomRecord = { id: randomUUID(), config, peers: [], createdAtMs: Date.now() };
    await this.#store.createRoom(room);
    this.#bus.publish('roomCreated', { roomId: room.id }, config.webhookUrl);
    return room;
  }

  listRooms(): Promise<RoomRecord[]> {
    return this.#store.listRooms();
  }

  async getRoom(roomId: string): Promise<RoomRecord> {
    const room = await this.#store.getRoom(roomId);
    if (!room) {
      throw roomNotFound(roomId);
    }
    return room;
  }

  async deleteRoom(roomId: string): Promise<void> {
    const room = await this.#store.deleteRoom(roomId);
    if (!room) {
      throw roomNotFound(roomId);
    }
    this.events.emit('roomClosing', roomId);
    for (const peer of room.peers) {
      this.#announcePeerGone(room, peer);
    }
    this.#bus.publish('roomDeleted', { roomId }, room.config.webhookUrl);
    this.#bus.roomClosed(roomId);
  }

  async addPeer(roomId: string, spec: NewPeer): Promise<{ peer: PeerRecord; token: string }> {
    const room = await this.getRoom(roomId);
    const livestream = isLivestream(room.config.roomType);
    if (livestream && spec.type === 'agent') {
      throw new ShoalError(
        'CONFLICT',
        'Request conflict: agent peers are not allowed in livestream rooms',
      );
    }
    if (livestream && room.peers.some((p) => p.type === 'webrtc')) {
      throw new ShoalError(
        'CONFLICT',
        'Request conflict: a livestream room allows one streamer peer',
      );
    }
    const peer: PeerRecord = {
      id: randomUUID(),
      roomId,
      type: spec.type,
      status: 'disconnected',
      metadata: spec.metadata,
      clientMetadata: null,
      subscribeMode: spec.subscribeMode,
      subscriptions: { peers: [], tracks: [] },
      tracks: [],
      tokenGeneration: 0,
      agentOutput: spec.agentOutput,
    };
    const result = await this.#store.addPeer(roomId, peer, room.config.maxPeers);
    if (result === 'room_not_found') {
      throw roomNotFound(roomId);
    }
    if (result === 'peer_limit') {
      throw new ShoalError(
        'PEER_LIMIT_REACHED',
        `Reached ${spec.type} peers limit in room ${roomId}`,
      );
    }
    this.#bus.publish(
      'peerAdded',
      { roomId, peerId: peer.id, peerType: peerTypeNumber(peer.type) },
      room.config.webhookUrl,
    );
    return { peer, token: this.#peerToken(peer) };
  }

  async getPeer(roomId: string, peerId: string): Promise<PeerRecord> {
    await this.getRoom(roomId);
    const peer = await this.#store.getPeer(roomId, peerId);
    if (!peer) {
      throw peerNotFound(peerId);
    }
    return peer;
  }

  async deletePeer(roomId: string, peerId: string): Promise<void> {
    const room = await this.getRoom(roomId);
    const peer = await this.#store.deletePeer(roomId, peerId);
    if (!peer) {
      throw peerNotFound(peerId);
    }
    this.#announcePeerGone(room, peer);
  }

  /** A new token for the same peer; older tokens stop authenticating, live sockets stay. */
  async refreshToken(roomId: string, peerId: string): Promise<string> {
    await this.getRoom(roomId);
    const peer = await this.#store.updatePeer(roomId, peerId, (p) => {
      p.tokenGeneration += 1;
    });
    if (!peer) {
      throw peerNotFound(peerId);
    }
    return this.#peerToken(peer);
  }

  async subscribePeer(roomId: string, subscriberId: string, publisherId: string): Promise<void> {
    const room = await this.getRoom(roomId);
    if (!room.peers.some((p) => p.id === publisherId)) {
      throw peerNotFound(publisherId);
    }
    const peer = await this.#updateExisting(roomId, subscriberId, (p) => {
      if (!p.subscriptions.peers.includes(publisherId)) {
        p.subscriptions.peers.push(publisherId);
      }
    });
    this.events.emit('subscriptionsChanged', roomId, subscriberId, peer.subscriptions);
  }

  async subscribeTracks(roomId: string, subscriberId: string, trackIds: string[]): Promise<void> {
    await this.getRoom(roomId);
    const peer = await this.#updateExisting(roomId, subscriberId, (p) => {
      for (const trackId of trackIds) {
        if (!p.subscriptions.tracks.includes(trackId)) {
          p.subscriptions.tracks.push(trackId);
        }
      }
    });
    this.events.emit('subscriptionsChanged', roomId, subscriberId, peer.subscriptions);
  }

  /** Viewer or streamer token for a livestream room. */
  async livestreamToken(roomId: string, kind: 'viewer' | 'streamer'): Promise<string> {
    const room = await this.getRoom(roomId);
    if (!isLivestream(room.config.roomType)) {
      throw new ShoalError('BAD_REQUEST', `Room ${roomId} is not a livestream room`);
    }
    return this.#tokens.sign(
      { kind, roomId, subjectId: randomUUID(), generation: 0 },
      this.#tokenTtlMs,
    );
  }

  /** Called by the peer and agent sockets when a socket authenticates or goes away. */
  async setPeerStatus(
    roomId: string,
    peerId: string,
    status: 'connected' | 'disconnected',
  ): Promise<void> {
    const room = await this.#store.getRoom(roomId);
    const before = room?.peers.find((p) => p.id === peerId);
    if (!room || !before || before.status === status) {
      return;
    }
    const peer = await this.#store.updatePeer(roomId, peerId, (p) => {
      p.status = status;
      if (status === 'disconnected') {
        p.tracks = [];
      }
    });
    if (!peer) {
      return;
    }
    if (status === 'disconnected') {
      for (const track of before.tracks) {
        this.#publishTrack('trackRemoved', room, peer, track);
      }
    }
    this.#bus.publish(
      status === 'connected' ? 'peerConnected' : 'peerDisconnected',
      { roomId, peerId, peerType: peerTypeNumber(peer.type) },
      room.config.webhookUrl,
    );
  }

  async addTrack(roomId: string, peerId: string, track: TrackRecord): Promise<void> {
    const { room, peer } = await this.#changeTracks(roomId, peerId, (tracks) => [...tracks, track]);
    this.#publishTrack('trackAdded', room, peer, track);
  }

  async removeTrack(roomId: string, peerId: string, trackId: string): Promise<void> {
    const room = await this.#store.getRoom(roomId);
    const track = room?.peers.find((p) => p.id === peerId)?.tracks.find((t) => t.id === trackId);
    if (!room || !track) {
      return;
    }
    const { peer } = await this.#changeTracks(roomId, peerId, (tracks) =>
      tracks.filter((t) => t.id !== trackId),
    );
    this.#publishTrack('trackRemoved', room, peer, track);
  }

  async updateTrackMetadata(
    roomId: string,
    peerId: string,
    trackId: string,
    metadata: unknown,
  ): Promise<void> {
    const { room, peer } = await this.#changeTracks(roomId, peerId, (tracks) =>
      tracks.map((t) => (t.id === trackId ? { ...t, metadata } : t)),
    );
    const track = peer.tracks.find((t) => t.id === trackId);
    if (track) {
      this.#publishTrack('trackMetadataUpdated', room, peer, track);
    }
  }

  /**
   * Records the metadata a client sent (`connect`, `update_endpoint_metadata`). Only an update
   * is announced (peerMetadataUpdated); the metadata given at join is not.
   */
  async updateClientMetadata(
    roomId: string,
    peerId: string,
    metadata: unknown,
    options: { notify?: boolean } = {},
  ): Promise<void> {
    const room = await this.getRoom(roomId);
    const peer = await this.#updateExisting(roomId, peerId, (p) => {
      p.clientMetadata = metadata;
    });
    if (options.notify === false) {
      return;
    }
    this.#bus.publish(
      'peerMetadataUpdated',
      {
        roomId,
        peerId,
        metadata: JSON.stringify(metadata ?? null),
        peerType: peerTypeNumber(peer.type),
      },
      room.config.webhookUrl,
    );
  }

  /**
   * A socket's first frame: checks a peer or agent token (signature, expiry, kind) and that it
   * still names an existing peer of that generation. `reason` is the close reason to send.
   */
  async authenticate(
    token: string | null | undefined,
    kind: 'peer' | 'agent',
  ): Promise<
    | { ok: true; room: RoomRecord; peer: PeerRecord }
    | {
        ok: false;
        reason:
          'missing token' | 'invalid token' | 'expired token' | 'room not found' | 'peer not found';
      }
  > {
    const check = this.#tokens.verify(token);
    if (!check.ok) {
      return check;
    }
    if (check.claims.kind !== kind) {
      return { ok: false, reason: 'invalid token' };
    }
    const { roomId, subjectId, generation } = check.claims;
    return this.peerForToken(roomId, subjectId, generation);
  }

  /** True when a token still authenticates its peer (exists, same generation). */
  async peerForToken(
    roomId: string,
    peerId: string,
    generation: number,
  ): Promise<
    | { ok: true; room: RoomRecord; peer: PeerRecord }
    | { ok: false; reason: 'room not found' | 'peer not found' | 'invalid token' }
  > {
    const room = await this.#store.getRoom(roomId);
    if (!room) {
      return { ok: false, reason: 'room not found' };
    }
    const peer = room.peers.find((p) => p.id === peerId);
    if (!peer) {
      return { ok: false, reason: 'peer not found' };
    }
    if (peer.tokenGeneration !== generation) {
      return { ok: false, reason: 'invalid token' };
    }
    return { ok: true, room, peer };
  }

  #peerToken(peer: PeerRecord): string {
    return this.#tokens.sign(
      {
        kind: peer.type === 'agent' ? 'agent' : 'peer',
        roomId: peer.roomId,
        subjectId: peer.id,
        generation: peer.tokenGeneration,
      },
      this.#tokenTtlMs,
    );
  }

  #announcePeerGone(room: RoomRecord, peer: PeerRecord): void {
    const body = { roomId: room.id, peerId: peer.id, peerType: peerTypeNumber(peer.type) };
    if (peer.status === 'connected') {
      for (const track of peer.tracks) {
        this.#publishTrack('trackRemoved', room, peer, track);
      }
      this.#bus.publish('peerDisconnected', body, room.config.webhookUrl);
    }
    this.#bus.publish('peerDeleted', body, room.config.webhookUrl);
  }

  #publishTrack(
    kind: 'trackAdded' | 'trackRemoved' | 'trackMetadataUpdated',
    room: RoomRecord,
    peer: PeerRecord,
    track: TrackRecord,
  ): void {
    this.#bus.publish(
      kind,
      {
        roomId: room.id,
        peerId: peer.id,
        track: {
          id: track.id,
          type: track.type === 'audio' ? 2 : 1,
          metadata: JSON.stringify(track.metadata ?? null),
        },
      },
      room.config.webhookUrl,
    );
  }

  async #changeTracks(
    roomId: string,
    peerId: string,
    change: (tracks: TrackRecord[]) => TrackRecord[],
  ): Promise<{ room: RoomRecord; peer: PeerRecord }> {
    const room = await this.getRoom(roomId);
    const peer = await this.#updateExisting(roomId, peerId, (p) => {
      p.tracks = change(p.tracks);
    });
    return { room, peer };
  }

  async #updateExisting(
    roomId: string,
    peerId: string,
    change: (peer: PeerRecord) => void,
  ): Promise<PeerRecord> {
    const peer = await this.#store.updatePeer(roomId, peerId, change);
    if (!peer) {
      throw peerNotFound(peerId);
    }
    return peer;
  }
}

export function roomNotFound(roomId: string): ShoalError {
  return new ShoalError('ROOM_NOT_FOUND', `Room ${roomId} does not exist`);
}

export function peerNotFound(peerId: string): ShoalError {
  return new ShoalError('PEER_NOT_FOUND', `Peer ${peerId} does not exist`);
}
