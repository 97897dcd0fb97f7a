import type { WebSocket } from 'ws';
import type { LatencyRecorder } from '../bridge/index.js';
import type { Logger } from '../logger.js';
import type { Notification, NotificationBus } from '../notifications/index.js';
import type { MediaRouter, RoomService } from '../rooms/index.js';
import type { SocketRoute } from '../sockets/index.js';
import type { IceOptions } from './ice.js';
import { PeerClose, PeerSession, type RoomEvent, type SessionHost } from './peer-session.js';

export interface PeerSocketsOptions {
  rooms: RoomService;
  bus: NotificationBus;
  media: MediaRouter;
  /** RTP-out latency: packet origin → written to a WebRTC peer's socket. */
  rtpLatency: LatencyRecorder;
  log: Logger;
  pingIntervalMs: number;
  authTimeoutMs: number;
  ice: IceOptions;
  /** A peer whose media path is silent this long is disconnected. */
  iceTimeoutMs: number;
}

export interface PeerSocketTotals {
  sessions: number;
  joined: number;
  connected: number;
  inboundTracks: number;
  outboundTracks: number;
  packetsIn: number;
  packetsOut: number;
}

const PEER_TYPE_AGENT = 2;

/**
 * `/socket/peer/websocket`: WebRTC peers (official ts-client). One session per peer; a reconnect
 * with the same token replaces the old one. Turns room changes (other peers joining and leaving,
 * tracks published by peers and agents) into events for every joined session of the room.
 */
export class PeerSockets implements SessionHost {
  readonly #options: PeerSocketsOptions;
  readonly #log: Logger;
  readonly #sessions = new Map<string, PeerSession>();
  readonly #pending = new Set<PeerSession>();
  /** roomId → peerId → joined session */
  readonly #joined = new Map<string, Map<string, PeerSession>>();
  readonly #unsubscribe: (() => void)[];
  #closed = false;

  constructor(options: PeerSocketsOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'peer-socket' });
    const { bus, rooms, media } = options;
    this.#unsubscribe = [
      bus.on('notification', (n) => this.#onNotification(n)),
      rooms.events.on('subscriptionsChanged', (roomId, peerId, subscriptions) => {
        const session = this.#sessions.get(peerId);
        if (session?.roomId === roomId) {
          session.subscriptions = subscriptions;
          session.post({ type: 'subscriptionsChanged', subscriptions });
        }
      }),
      rooms.events.on('roomClosing', (roomId) => {
        for (const session of [...this.#sessions.values()]) {
          if (session.roomId === roomId) {
            session.close(PeerClose.roomStopped, 'gone');
          }
        }
      }),
      media.events.on('published', (roomId, publication) =>
        this.#toRoom(roomId, { type: 'published', publication }),
      ),
      media.events.on('unpublished', (roomId, publication) =>
        this.#toRoom(roomId, { type: 'unpublished', publication }),
      ),
    ];
  }

  route(): SocketRoute {
    return {
      path: '/socket/peer/websocket',
      // SDP offers and stats reports are a few kilobytes; 256 KiB leaves room for large rooms.
      maxPayloadBytes: 256 * 1024,
      onConnection: (ws) => this.#accept(ws),
    };
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  session(peerId: string): PeerSession | undefined {
    return this.#sessions.get(peerId);
  }

  /** Totals over the live sessions, for metrics and the bench. */
  totals(): PeerSocketTotals {
    const totals: PeerSocketTotals = {
      sessions: this.#sessions.size,
      joined: 0,
      connected: 0,
      inboundTracks: 0,
      outboundTracks: 0,
      packetsIn: 0,
      packetsOut: 0,
    };
    for (const session of this.#sessions.values()) {
      totals.joined += session.joined ? 1 : 0;
      const media = session.media;
      if (!media) {
        continue;
      }
      totals.connected += media.connectionState === 'connected' ? 1 : 0;
      totals.inboundTracks += media.inbound.size;
      totals.outboundTracks += media.outbound.size;
      for (const track of media.inbound.values()) {
        totals.packetsIn += track.stats.packets;
      }
      for (const track of media.outbound.values()) {
        totals.packetsOut += track.stats.packets;
      }
    }
    return totals;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const off of this.#unsubscribe) {
      off();
    }
    for (const session of [...this.#pending, ...this.#sessions.values()]) {
      session.close(PeerClose.shutdown, 'shutdown');
    }
  }

  // ---- SessionHost ----

  authenticated(session: PeerSession): boolean {
    this.#pending.delete(session);
    const previous = this.#sessions.get(session.peerId);
    this.#sessions.set(session.peerId, session);
    previous?.close(PeerClose.replaced, 'replaced');
    return previous !== undefined;
  }

  joined(session: PeerSession): void {
    let room = this.#joined.get(session.roomId);
    if (!room) {
      room = new Map();
      this.#joined.set(session.roomId, room);
    }
    room.set(session.peerId, session);
  }

  left(session: PeerSession): void {
    const room = this.#joined.get(session.roomId);
    if (room?.get(session.peerId) !== session) {
      return;
    }
    room.delete(session.peerId);
    if (room.size === 0) {
      this.#joined.delete(session.roomId);
    }
    this.broadcast(session, { type: 'endpointLeft', peerId: session.peerId });
  }

  closed(session: PeerSession): void {
    this.#pending.delete(session);
    if (this.#sessions.get(session.peerId) === session) {
      this.#sessions.delete(session.peerId);
    }
  }

  joinedSession(roomId: string, peerId: string): PeerSession | undefined {
    return this.#joined.get(roomId)?.get(peerId);
  }

  broadcast(from: PeerSession, event: RoomEvent): void {
    for (const session of this.#joined.get(from.roomId)?.values() ?? []) {
      if (session !== from) {
        session.post(event);
      }
    }
  }

  // ---- internals ----

  #accept(ws: WebSocket): void {
    if (this.#closed) {
      ws.close(...PeerClose.shutdown);
      return;
    }
    const session = new PeerSession(ws, this.#options, this.#log, this);
    this.#pending.add(session);
  }

  #toRoom(roomId: string, event: RoomEvent): void {
    for (const session of this.#joined.get(roomId)?.values() ?? []) {
      session.post(event);
    }
  }

  #onNotification(n: Notification): void {
    switch (n.kind) {
      case 'peerDeleted': {
        const { peerId, peerType } = n.body as { peerId: string; peerType: number };
        const session = this.#sessions.get(peerId);
        if (session?.roomId === n.roomId) {
          session.close(PeerClose.peerRemoved, 'gone');
        }
        if (peerType === PEER_TYPE_AGENT) {
          this.#toRoom(n.roomId, { type: 'endpointLeft', peerId });
        }
        return;
      }
      case 'peerConnected': {
        // WebRTC peers become endpoints when they send `connect`, not when they authenticate.
        const { peerId, peerType } = n.body as { peerId: string; peerType: number };
        if (peerType === PEER_TYPE_AGENT) {
          this.#toRoom(n.roomId, { type: 'endpointJoined', peerId });
        }
        return;
      }
      case 'peerDisconnected': {
        const { peerId, peerType } = n.body as { peerId: string; peerType: number };
        if (peerType === PEER_TYPE_AGENT) {
          this.#toRoom(n.roomId, { type: 'endpointLeft', peerId });
        }
        return;
      }
      default:
        return;
    }
  }
}
