import { TypedEmitter } from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import { AgentTap, type PcmSink } from './agent-tap.js';
import type { SubscribeMode } from './model.js';
import type { Publication } from './publication.js';

/** An agent that hears the room as PCM; its subscription rules decide which tracks. */
export interface PcmListener extends PcmSink {
  readonly subscribeMode: SubscribeMode;
  subscriptions: { peers: readonly string[]; tracks: readonly string[] };
  /** Told how many tracks it hears whenever that changes. */
  hearing(trackCount: number): void;
}

/** Tracks coming and going in any room, for WebRTC sessions that renegotiate on them. */
export interface MediaRouterEvents extends Record<string, unknown[]> {
  published: [roomId: string, publication: Publication];
  unpublished: [roomId: string, publication: Publication];
}

/**
 * The live media of one room: published tracks are sources; agents subscribe. Rules:
 * `auto` hears every other peer's audio; `manual` hears only the peers and tracks granted by
 * subscribe_peer / subscribe_tracks; nobody hears their own tracks. A track is decoded only
 * while at least one agent hears it.
 */
export class RoomMedia {
  readonly roomId: string;
  readonly #log: Logger;
  readonly #publications = new Map<string, Publication>();
  readonly #taps = new Map<string, AgentTap>();
  readonly #listeners = new Map<string, PcmListener>();
  readonly #events: TypedEmitter<MediaRouterEvents> | undefined;
  #closed = false;

  constructor(roomId: string, log: Logger, events?: TypedEmitter<MediaRouterEvents>) {
    this.roomId = roomId;
    this.#log = log.child({ roomId });
    this.#events = events;
  }

  get publications(): ReadonlyMap<string, Publication> {
    return this.#publications;
  }

  publish(publication: Publication): void {
    if (this.#closed) {
      return;
    }
    this.#publications.set(publication.trackId, publication);
    this.#rewire();
    this.#events?.emit('published', this.roomId, publication);
  }

  unpublish(trackId: string): void {
    const publication = this.#publications.get(trackId);
    if (!publication) {
      return;
    }
    this.#publications.delete(trackId);
    this.#taps.get(trackId)?.close();
    this.#taps.delete(trackId);
    publication.close();
    this.#rewire();
    this.#events?.emit('unpublished', this.roomId, publication);
  }

  addListener(listener: PcmListener): void {
    if (this.#closed) {
      return;
    }
    this.#listeners.set(listener.peerId, listener);
    this.#rewire();
  }

  removeListener(peerId: string): void {
    if (this.#listeners.delete(peerId)) {
      this.#rewire();
    }
  }

  /** Call after a listener's subscriptions changed. */
  rewire(): void {
    this.#rewire();
  }

  tap(trackId: string): AgentTap | undefined {
    return this.#taps.get(trackId);
  }

  #hears(listener: PcmListener, publication: Publication): boolean {
    if (publication.kind !== 'audio' || listener.peerId === publication.peerId) {
      return false;
    }
    return (
      listener.subscribeMode === 'auto' ||
      listener.subscriptions.peers.includes(publication.peerId) ||
      listener.subscriptions.tracks.includes(publication.trackId)
    );
  }

  #rewire(): void {
    const heard = new Map<string, number>();
    for (const [trackId, publication] of this.#publications) {
      const sinks = [...this.#listeners.values()].filter((l) => this.#hears(l, publication));
      for (const sink of sinks) {
        heard.set(sink.peerId, (heard.get(sink.peerId) ?? 0) + 1);
      }
      let tap = this.#taps.get(trackId);
      if (sinks.length === 0) {
        tap?.close();
        this.#taps.delete(trackId);
        continue;
      }
      if (!tap) {
        tap = new AgentTap(publication, this.#log);
        this.#taps.set(trackId, tap);
      }
      tap.setSinks(sinks);
    }
    for (const listener of this.#listeners.values()) {
      listener.hearing(heard.get(listener.peerId) ?? 0);
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const tap of this.#taps.values()) {
      tap.close();
    }
    for (const publication of this.#publications.values()) {
      publication.close();
    }
    this.#taps.clear();
    this.#publications.clear();
    this.#listeners.clear();
  }
}

/** Every room's live media, created on first use and closed with the room. */
export class MediaRouter {
  /** Publish / unpublish in every room, in order; a throwing listener is logged, not fatal. */
  readonly events = new TypedEmitter<MediaRouterEvents>();
  readonly #rooms = new Map<string, RoomMedia>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log.child({ component: 'media' });
    this.events.onListenerError = (err, event) =>
      this.#log.error({ err, event }, 'media event listener failed');
  }

  room(roomId: string): RoomMedia {
    let media = this.#rooms.get(roomId);
    if (!media) {
      media = new RoomMedia(roomId, this.#log, this.events);
      this.#rooms.set(roomId, media);
    }
    return media;
  }

  existing(roomId: string): RoomMedia | undefined {
    return this.#rooms.get(roomId);
  }

  closeRoom(roomId: string): void {
    this.#rooms.get(roomId)?.close();
    this.#rooms.delete(roomId);
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  close(): void {
    for (const media of this.#rooms.values()) {
      media.close();
    }
    this.#rooms.clear();
    this.events.removeAllListeners();
  }
}
