import type { RawData, WebSocket } from 'ws';
import {
  PeerMessage,
  ShoalError,
  decodePeerMessage,
  variantOf,
  type IServerMediaEvent,
  type PeerMediaEvent,
  type ServerMediaEvent,
} from '../../protocol/index.js';
import type { LatencyRecorder } from '../bridge/index.js';
import type { Logger } from '../logger.js';
import {
  Publication,
  allowsVideo,
  clientRoomType,
  type MediaRouter,
  type PeerRecord,
  type RoomService,
  type RoomType,
  type TrackKind,
  type VideoCodec,
} from '../rooms/index.js';
import { keepAlive, toBytes, closeReason } from '../sockets/index.js';
import type { IceOptions } from './ice.js';
import { PeerMedia, jsonOrEmpty, type NegotiationResult } from './peer-media.js';
import { RemoteView } from './remote-view.js';

export interface PeerSessionOptions {
  rooms: RoomService;
  media: MediaRouter;
  /** RTP-out latency (forwarded and agent packets → written to the peer's socket). */
  rtpLatency: LatencyRecorder;
  log: Logger;
  pingIntervalMs: number;
  authTimeoutMs: number;
  ice: IceOptions;
  iceTimeoutMs: number;
}

type Close = readonly [number, string];

/** Close codes and reasons; Fishjam's where it has them (fishjam-protocol.md §3.4). */
export const PeerClose = {
  unauthenticated: [1000, 'unauthenticated'],
  peerRemoved: [1000, 'Peer removed'],
  roomStopped: [1000, 'Room stopped'],
  replaced: [1000, 'replaced by a new connection'],
  shutdown: [1001, 'server shutting down'],
  binaryOnly: [1003, 'binary frames only'],
  alreadyAuthenticated: [1003, 'already authenticated'],
  malformed: [1007, 'malformed message'],
  authTimeout: [1008, 'authentication timeout'],
  backlog: [1008, 'message backlog too large'],
  internal: [1011, 'Internal server error'],
} as const satisfies Record<string, Close>;

/** Room changes a joined session turns into media events, in the order they happened. */
export type RoomEvent =
  | { type: 'endpointJoined'; peerId: string; metadataJson?: string }
  | { type: 'endpointLeft'; peerId: string }
  | { type: 'endpointUpdated'; peerId: string; metadataJson: string }
  | { type: 'published'; publication: Publication }
  | { type: 'unpublished'; publication: Publication }
  | { type: 'trackUpdated'; publication: Publication }
  | { type: 'subscriptionsChanged'; subscriptions: PeerRecord['subscriptions'] }
  /** Internal: the client did not answer `offer_data` with an offer in time. */
  | { type: 'offerTimeout'; round: number };

type InboxItem = { client: PeerMessage; bytes: number } | { room: RoomEvent };

/** What the session needs from the socket manager. */
export interface SessionHost {
  /** Returns true when this session replaced an older one of the same peer. */
  authenticated(session: PeerSession): boolean;
  /** The session joined its room (`connect`): it now receives room events. */
  joined(session: PeerSession): void;
  /** The session left its room (`disconnect`, close). */
  left(session: PeerSession): void;
  closed(session: PeerSession): void;
  /** The joined session of a peer in a room, if any. */
  joinedSession(roomId: string, peerId: string): PeerSession | undefined;
  /** Tells every other joined session of the room. */
  broadcast(from: PeerSession, event: RoomEvent): void;
}

/** Why a session ended, which decides what the room hears about it. */
export type EndKind = 'disconnected' | 'replaced' | 'gone' | 'shutdown';

/** More queued frames and room events than this closes the socket (a client that floods). */
const MAX_INBOX = 1024;
/** Bytes of client frames waiting while a negotiation runs; more closes the socket. */
const MAX_INBOX_BYTES = 4 * 1024 * 1024;
/** A client that does not answer `offer_data` within this gets the next round anyway. */
const OFFER_TIMEOUT_MS = 10_000;
const SIMULCAST_OFF = { enabled: false, enabledVariants: [], disabledVariants: [] };

/**
 * One `/socket/peer/websocket` connection speaking ts-client 0.25's signaling: AuthRequest →
 * Authenticated, `connect` → `connected`, then offer/answer rounds the client always offers
 * (`offer_data` tells it how many recvonly transceivers to have). Client frames and room events
 * are handled strictly in order, one at a time.
 */
export class PeerSession {
  peerId = '';
  roomId = '';
  roomType: RoomType = 'conference';
  videoCodec: VideoCodec = 'vp8';
  subscribeMode: 'auto' | 'manual' = 'auto';
  subscriptions: PeerRecord['subscriptions'] = { peers: [], tracks: [] };
  /** What the client sent in `connect` / `update_endpoint_metadata`. */
  clientMetadata: unknown = {};
  serverMetadata: unknown = {};
  readonly stats = { framesIn: 0, negotiations: 0, errorsSent: 0 };
  readonly #ws: WebSocket;
  readonly #options: PeerSessionOptions;
  #log: Logger;
  readonly #host: SessionHost;
  readonly #authTimer: NodeJS.Timeout;
  readonly #inbox: InboxItem[] = [];
  #inboxBytes = 0;
  #state: 'awaitingAuth' | 'authenticating' | 'authenticated' | 'joined' | 'closed' =
    'awaitingAuth';
  #pumping = false;
  #left = false;
  #end: EndKind = 'disconnected';
  #media: PeerMedia | undefined;
  readonly #view = new RemoteView();
  /** Tracks to announce (tracks_added) when the next negotiation starts, by endpoint. */
  readonly #pendingTracks = new Map<string, Map<string, Publication>>();
  #negotiating = false;
  #renegotiate = false;
  /** Counts offer_data rounds, so a stale offer timeout is recognised. */
  #round = 0;
  #offerTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, options: PeerSessionOptions, log: Logger, host: SessionHost) {
    this.#ws = ws;
    this.#options = options;
    this.#log = log;
    this.#host = host;
    keepAlive(ws, options.pingIntervalMs);
    this.#authTimer = setTimeout(() => this.close(PeerClose.authTimeout), options.authTimeoutMs);
    this.#authTimer.unref();
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    ws.on('error', (err) => this.#log.debug({ err }, 'peer socket error'));
    ws.on('close', () => this.#teardown());
  }

  get state(): string {
    return this.#state;
  }

  get joined(): boolean {
    return this.#state === 'joined';
  }

  get media(): PeerMedia | undefined {
    return this.#media;
  }

  /** `{"peer": <client metadata>, "server": <REST metadata>}` as ts-client expects it. */
  get endpointMetadataJson(): string {
    return endpointMetadata(this.clientMetadata, this.serverMetadata);
  }

  /** A room event for a joined session; ignored otherwise. */
  post(event: RoomEvent): void {
    if (this.#state !== 'joined') {
      return;
    }
    this.#enqueue({ room: event });
  }

  close(reason: Close, end: EndKind = 'disconnected'): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#end = end;
    this.#ws.close(reason[0], closeReason(reason[1]));
    this.#teardown();
  }

  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #enqueue(item: InboxItem): void {
    const bytes = 'client' in item ? item.bytes : 0;
    if (this.#inbox.length >= MAX_INBOX || this.#inboxBytes + bytes > MAX_INBOX_BYTES) {
      this.#log.warn({ queued: this.#inbox.length }, 'peer inbox overflow; closing');
      this.close(PeerClose.backlog);
      return;
    }
    this.#inboxBytes += bytes;
    this.#inbox.push(item);
    void this.#pump();
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') {
      return;
    }
    if (!isBinary) {
      this.close(PeerClose.binaryOnly);
      return;
    }
    const bytes = toBytes(data);
    let message: PeerMessage;
    try {
      message = decodePeerMessage(bytes);
    } catch {
      this.close(PeerClose.malformed);
      return;
    }
    this.stats.framesIn += 1;
    if (this.#state === 'awaitingAuth') {
      this.#authenticate(message);
      return;
    }
    this.#enqueue({ client: message, bytes: bytes.byteLength });
  }

  #authenticate(message: PeerMessage): void {
    if (variantOf(message) !== 'authRequest') {
      this.close(PeerClose.unauthenticated);
      return;
    }
    this.#state = 'authenticating';
    void this.#completeAuth(message).catch((err: unknown) => {
      this.#log.error({ err }, 'peer authentication failed');
      this.close(PeerClose.internal);
    });
  }

  async #completeAuth(message: PeerMessage): Promise<void> {
    const found = await this.#options.rooms.authenticate(message.authRequest?.token, 'peer');
    if (this.#state !== 'authenticating') {
      return;
    }
    if (!found.ok) {
      this.close([1000, found.reason]);
      return;
    }
    const { roomId, id: peerId } = found.peer;
    clearTimeout(this.#authTimer);
    this.peerId = peerId;
    this.roomId = roomId;
    this.#log = this.#log.child({ roomId, peerId });
    this.roomType = found.room.config.roomType;
    this.videoCodec = found.room.config.videoCodec;
    this.subscribeMode = found.peer.subscribeMode;
    this.subscriptions = found.peer.subscriptions;
    this.serverMetadata = found.peer.metadata ?? {};
    this.#state = 'authenticated';
    this.#host.authenticated(this);
    this.#send({ authenticated: { roomType: clientRoomType(this.roomType) } });
    // Idempotent: a session that replaced a live one announces nothing new.
    await this.#options.rooms.setPeerStatus(roomId, peerId, 'connected');
    this.#log.debug({ sdkVersion: message.authRequest?.sdkVersion }, 'peer authenticated');
    await this.#pump();
  }

  /** Handles queued frames and room events strictly in order; awaits each. */
  async #pump(): Promise<void> {
    if (this.#pumping || (this.#state !== 'authenticated' && this.#state !== 'joined')) {
      return;
    }
    this.#pumping = true;
    try {
      for (let item = this.#inbox.shift(); item; item = this.#inbox.shift()) {
        this.#inboxBytes -= 'client' in item ? item.bytes : 0;
        if (this.#isClosed()) {
          return;
        }
        if ('client' in item) {
          await this.#handleClient(item.client);
        } else if (this.#state === 'joined') {
          await this.#handleRoom(item.room);
        }
      }
    } catch (err) {
      if (!this.#isClosed()) {
        this.#log.error({ err }, 'peer frame handling failed');
        this.close(PeerClose.internal);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #handleClient(message: PeerMessage): Promise<void> {
    switch (variantOf(message)) {
      case 'peerMediaEvent':
        await this.#handleMediaEvent(message.peerMediaEvent as PeerMediaEvent);
        return;
      case 'authRequest':
        this.close(PeerClose.alreadyAuthenticated);
        return;
      case 'rtcStatsReport':
      case 'mediaEvent':
      default:
        // Statistics, legacy JSON media events and server-only variants: accepted, ignored.
        return;
    }
  }

  async #handleMediaEvent(event: PeerMediaEvent): Promise<void> {
    const variant = variantOf(event);
    if (variant === 'connect') {
      if (this.#state === 'authenticated') {
        await this.#join(event.connect?.metadataJson ?? '');
      }
      return;
    }
    if (this.#state !== 'joined') {
      return;
    }
    switch (variant) {
      case 'disconnect':
        await this.#leave();
        return;
      case 'renegotiateTracks':
        this.#requestNegotiation();
        return;
      case 'sdpOffer':
        await this.#onOffer(event.sdpOffer as PeerMediaEvent.ISdpOffer);
        return;
      case 'candidate':
        // An ICE-lite server needs no remote candidates: the client's checks reveal its address.
        return;
      case 'updateEndpointMetadata':
        await this.#updateEndpointMetadata(event.updateEndpointMetadata?.metadataJson ?? '');
        return;
      case 'updateTrackMetadata':
        await this.#updateTrackMetadata(
          event.updateTrackMetadata?.trackId ?? '',
          event.updateTrackMetadata?.metadataJson ?? '',
        );
        return;
      default:
        // Simulcast variants, bitrates, unmute hints: nothing to do for forwarded audio.
        return;
    }
  }

  // ---- joining and leaving ----

  async #join(metadataJson: string): Promise<void> {
    this.clientMetadata = parseJson(metadataJson);
    const { rooms } = this.#options;
    try {
      await rooms.updateClientMetadata(this.roomId, this.peerId, this.clientMetadata, {
        notify: false,
      });
      if (this.#left) {
        await rooms.setPeerStatus(this.roomId, this.peerId, 'connected');
        this.#left = false;
      }
    } catch (err) {
      if (
        err instanceof ShoalError &&
        (err.code === 'PEER_NOT_FOUND' || err.code === 'ROOM_NOT_FOUND')
      ) {
        this.close(PeerClose.peerRemoved, 'gone');
        return;
      }
      throw err;
    }
    if (this.#state !== 'authenticated') {
      return;
    }
    this.#state = 'joined';
    this.#host.joined(this);
    const endpoints = await this.#snapshot();
    if (this.#state !== 'joined' || !endpoints) {
      return;
    }
    this.#sendMedia({
      connected: {
        endpointId: this.peerId,
        endpointIdToEndpoint: endpoints,
        iceServers: [],
      },
    });
    this.#host.broadcast(this, {
      type: 'endpointJoined',
      peerId: this.peerId,
      metadataJson: this.endpointMetadataJson,
    });
    this.#log.debug({ endpoints: Object.keys(endpoints).length }, 'peer joined');
    if (this.#wanted().length > 0) {
      this.#requestNegotiation();
    }
  }

  /** Every endpoint in the room (self included) with its live tracks; records them in the view. */
  async #snapshot(): Promise<NonNullable<IServerMediaEvent['connected']>['endpointIdToEndpoint']> {
    let peers: PeerRecord[];
    try {
      peers = (await this.#options.rooms.getRoom(this.roomId)).peers;
    } catch {
      this.close(PeerClose.roomStopped, 'gone');
      return undefined;
    }
    const publications = [...(this.#roomMedia()?.publications.values() ?? [])];
    const endpoints: Record<string, ServerMediaEvent.IEndpoint> = {};
    this.#view.clear();
    for (const peer of peers) {
      const isSelf = peer.id === this.peerId;
      const live = isSelf
        ? true
        : peer.type === 'webrtc'
          ? this.#host.joinedSession(this.roomId, peer.id) !== undefined
          : peer.status === 'connected';
      if (!live) {
        continue;
      }
      const trackIdToTrack: Record<string, ServerMediaEvent.ITrack> = {};
      this.#view.addEndpoint(peer.id);
      for (const publication of publications) {
        if (publication.peerId === peer.id && !publication.closed) {
          trackIdToTrack[publication.trackId] = trackOf(publication);
          this.#view.addTrack(peer.id, publication.trackId);
        }
      }
      endpoints[peer.id] = {
        endpointType: peer.type,
        metadataJson: isSelf
          ? this.endpointMetadataJson
          : endpointMetadata(
              this.#host.joinedSession(this.roomId, peer.id)?.clientMetadata ?? peer.clientMetadata,
              peer.metadata,
            ),
        trackIdToTrack,
      };
    }
    return endpoints;
  }

  /** `disconnect`: the peer leaves the room but its socket may stay open (ts-client `leave()`). */
  async #leave(): Promise<void> {
    this.#leaveRoom();
    this.#left = true;
    await this.#options.rooms.setPeerStatus(this.roomId, this.peerId, 'disconnected');
  }

  #leaveRoom(): void {
    if (this.#state !== 'joined') {
      return;
    }
    this.#state = 'authenticated';
    this.#dropMedia();
    this.#host.left(this);
    this.#view.clear();
    this.#pendingTracks.clear();
    clearTimeout(this.#offerTimer);
    this.#negotiating = false;
    this.#renegotiate = false;
    this.#inbox.splice(0, this.#inbox.length, ...this.#inbox.filter((i) => 'client' in i));
  }

  // ---- negotiation ----

  /** Starts an offer/answer round now, or right after the one in flight. */
  #requestNegotiation(): void {
    if (this.#state !== 'joined') {
      return;
    }
    if (this.#negotiating) {
      this.#renegotiate = true;
      return;
    }
    for (const [endpointId, tracks] of this.#pendingTracks) {
      const announced: Record<string, ServerMediaEvent.ITrack> = {};
      for (const publication of tracks.values()) {
        if (!publication.closed && this.#view.addTrack(endpointId, publication.trackId)) {
          announced[publication.trackId] = trackOf(publication);
        }
      }
      if (Object.keys(announced).length > 0) {
        this.#sendMedia({ tracksAdded: { endpointId, trackIdToTrack: announced } });
      }
    }
    this.#pendingTracks.clear();
    const wanted = this.#wanted();
    const counts = this.#media ? this.#media.slotCounts(wanted) : countKinds(wanted);
    this.#negotiating = true;
    this.stats.negotiations += 1;
    const round = ++this.#round;
    clearTimeout(this.#offerTimer);
    this.#offerTimer = setTimeout(
      () => this.post({ type: 'offerTimeout', round }),
      OFFER_TIMEOUT_MS,
    );
    this.#offerTimer.unref();
    this.#sendMedia({ offerData: { tracksTypes: counts } });
  }

  /** Ends a round: the next queued one, if any, starts. */
  #negotiated(): void {
    clearTimeout(this.#offerTimer);
    this.#negotiating = false;
    if (this.#renegotiate) {
      this.#renegotiate = false;
      this.#requestNegotiation();
    }
  }

  /** The remote tracks this client should receive now. */
  #wanted(): Publication[] {
    const media = this.#roomMedia();
    if (!media) {
      return [];
    }
    const video = allowsVideo(this.roomType);
    const wanted: Publication[] = [];
    for (const publication of media.publications.values()) {
      if (
        publication.peerId !== this.peerId &&
        !publication.closed &&
        this.#view.hasTrack(publication.trackId) &&
        (publication.kind === 'audio' || video) &&
        this.#subscribed(publication)
      ) {
        wanted.push(publication);
      }
    }
    return wanted;
  }

  #subscribed(publication: Publication): boolean {
    return (
      this.subscribeMode === 'auto' ||
      this.subscriptions.peers.includes(publication.peerId) ||
      this.subscriptions.tracks.includes(publication.trackId)
    );
  }

  async #onOffer(offer: PeerMediaEvent.ISdpOffer): Promise<void> {
    this.#media ??= new PeerMedia({
      ice: this.#options.ice,
      videoCodec: this.videoCodec,
      allowsVideo: allowsVideo(this.roomType),
      iceTimeoutMs: this.#options.iceTimeoutMs,
      latency: this.#options.rtpLatency,
      log: this.#log,
      onLost: (reason) => this.close([1000, `media connection lost: ${reason}`]),
    });
    const media = this.#media;
    let result: NegotiationResult;
    try {
      result = await media.negotiate(
        {
          sdp: offer.sdp ?? '',
          midToTrackId: { ...(offer.midToTrackId ?? {}) },
          trackIdToMetadataJson: { ...(offer.trackIdToMetadataJson ?? {}) },
        },
        this.#wanted(),
        (trackId, kind, metadataJson) => this.#newPublication(trackId, kind, metadataJson),
      );
    } catch (err) {
      if (this.#state !== 'joined' || media.closed) {
        return;
      }
      const message =
        err instanceof ShoalError && err.code === 'BAD_REQUEST'
          ? err.message
          : 'SDP offer could not be answered';
      this.#log.warn({ err }, 'negotiation failed');
      // The connection may be half-applied: start over with a fresh one on the next offer.
      this.#dropMedia();
      clearTimeout(this.#offerTimer);
      this.#negotiating = false;
      this.#renegotiate = false;
      this.#sendError(message);
      return;
    }
    if (this.#state !== 'joined') {
      for (const track of result.added) {
        track.publication.close();
      }
      return;
    }
    this.#sendMedia({ sdpAnswer: { sdp: result.sdp, midToTrackId: result.midToTrackId } });
    await this.#applyTrackChanges(result);
    if (this.#state === 'joined') {
      this.#negotiated();
    }
  }

  #newPublication(trackId: string, kind: TrackKind, metadataJson: string): Publication | undefined {
    if (trackId.length > 256 || this.#roomMedia()?.publications.has(trackId)) {
      this.#log.warn({ trackId: trackId.slice(0, 64) }, 'track id refused (too long or in use)');
      return undefined;
    }
    return new Publication({ trackId, peerId: this.peerId, kind, metadataJson });
  }

  /** After an answer: the room learns about the client's new, changed and ended tracks. */
  async #applyTrackChanges(result: NegotiationResult): Promise<void> {
    const { rooms, media } = this.#options;
    const roomMedia = media.room(this.roomId);
    for (const track of result.removed) {
      roomMedia.unpublish(track.trackId);
      await rooms.removeTrack(this.roomId, this.peerId, track.trackId);
    }
    for (const track of result.added) {
      const { publication } = track;
      publication.paused = isPaused(publication.metadataJson);
      roomMedia.publish(publication);
      await rooms.addTrack(this.roomId, this.peerId, {
        id: track.trackId,
        type: track.kind,
        metadata: parseJson(publication.metadataJson),
      });
    }
    for (const track of result.updated) {
      await this.#trackMetadataChanged(track.publication);
    }
  }

  // ---- metadata ----

  async #updateEndpointMetadata(metadataJson: string): Promise<void> {
    this.clientMetadata = parseJson(metadataJson);
    await this.#options.rooms.updateClientMetadata(this.roomId, this.peerId, this.clientMetadata);
    this.#host.broadcast(this, {
      type: 'endpointUpdated',
      peerId: this.peerId,
      metadataJson: this.endpointMetadataJson,
    });
  }

  async #updateTrackMetadata(trackId: string, metadataJson: string): Promise<void> {
    const publication = this.#roomMedia()?.publications.get(trackId);
    if (!publication || publication.peerId !== this.peerId) {
      this.#log.debug({ trackId: trackId.slice(0, 64) }, 'metadata for an unknown track ignored');
      return;
    }
    publication.updateMetadata(jsonOrEmpty(metadataJson));
    await this.#trackMetadataChanged(publication);
  }

  /** Mute travels as track metadata `paused`: a paused track is not heard by anyone. */
  async #trackMetadataChanged(publication: Publication): Promise<void> {
    publication.paused = isPaused(publication.metadataJson);
    await this.#options.rooms.updateTrackMetadata(
      this.roomId,
      this.peerId,
      publication.trackId,
      parseJson(publication.metadataJson),
    );
    this.#host.broadcast(this, { type: 'trackUpdated', publication });
  }

  // ---- room events ----

  async #handleRoom(event: RoomEvent): Promise<void> {
    switch (event.type) {
      case 'endpointJoined':
        await this.#ensureEndpoint(event.peerId, event.metadataJson);
        return;
      case 'endpointLeft':
        this.#endpointLeft(event.peerId);
        return;
      case 'endpointUpdated':
        if (this.#view.hasEndpoint(event.peerId)) {
          this.#sendMedia({
            endpointUpdated: { endpointId: event.peerId, metadataJson: event.metadataJson },
          });
        }
        return;
      case 'published':
        await this.#published(event.publication);
        return;
      case 'unpublished':
        this.#unpublished(event.publication);
        return;
      case 'trackUpdated': {
        const { publication } = event;
        if (this.#view.endpointOf(publication.trackId) === publication.peerId) {
          this.#sendMedia({
            trackUpdated: {
              endpointId: publication.peerId,
              trackId: publication.trackId,
              metadataJson: jsonOrEmpty(publication.metadataJson),
            },
          });
        }
        return;
      }
      case 'subscriptionsChanged':
        this.subscriptions = event.subscriptions;
        this.#requestNegotiation();
        return;
      case 'offerTimeout':
        if (this.#negotiating && event.round === this.#round) {
          this.#log.warn({ round: event.round }, 'no offer after offer_data; moving on');
          this.#negotiated();
        }
        return;
    }
  }

  /** Sends endpoint_added once; false when the endpoint is not (or no longer) in the room. */
  async #ensureEndpoint(peerId: string, metadataJson?: string): Promise<boolean> {
    if (peerId === this.peerId || this.#view.hasEndpoint(peerId)) {
      return peerId !== this.peerId;
    }
    const metadata = metadataJson ?? (await this.#lookupEndpoint(peerId));
    if (metadata === undefined || this.#state !== 'joined' || this.#view.hasEndpoint(peerId)) {
      return this.#view.hasEndpoint(peerId);
    }
    this.#view.addEndpoint(peerId);
    this.#sendMedia({ endpointAdded: { endpointId: peerId, metadataJson: metadata } });
    return true;
  }

  async #lookupEndpoint(peerId: string): Promise<string | undefined> {
    const session = this.#host.joinedSession(this.roomId, peerId);
    if (session) {
      return session.endpointMetadataJson;
    }
    try {
      const peer = await this.#options.rooms.getPeer(this.roomId, peerId);
      return peer.type === 'agent' && peer.status === 'connected'
        ? endpointMetadata(peer.clientMetadata, peer.metadata)
        : undefined;
    } catch {
      return undefined;
    }
  }

  #endpointLeft(peerId: string): void {
    this.#pendingTracks.delete(peerId);
    if (!this.#view.hasEndpoint(peerId)) {
      return;
    }
    let renegotiate = false;
    for (const trackId of this.#view.tracksOf(peerId)) {
      renegotiate = (this.#media?.stopSending(trackId) ?? false) || renegotiate;
    }
    this.#view.removeEndpoint(peerId);
    this.#sendMedia({ endpointRemoved: { endpointId: peerId } });
    if (renegotiate) {
      this.#requestNegotiation();
    }
  }

  async #published(publication: Publication): Promise<void> {
    if (publication.peerId === this.peerId || this.#view.hasTrack(publication.trackId)) {
      return;
    }
    if (!(await this.#ensureEndpoint(publication.peerId)) || publication.closed) {
      return;
    }
    let tracks = this.#pendingTracks.get(publication.peerId);
    if (!tracks) {
      tracks = new Map();
      this.#pendingTracks.set(publication.peerId, tracks);
    }
    tracks.set(publication.trackId, publication);
    // tracks_added is always followed by offer_data: ts-client blocks its command queue
    // between the two and the answer.
    this.#requestNegotiation();
  }

  #unpublished(publication: Publication): void {
    this.#pendingTracks.get(publication.peerId)?.delete(publication.trackId);
    const endpointId = this.#view.removeTrack(publication.trackId);
    if (endpointId === undefined) {
      return;
    }
    this.#sendMedia({ tracksRemoved: { endpointId, trackIds: [publication.trackId] } });
    if (this.#media?.stopSending(publication.trackId)) {
      this.#requestNegotiation();
    }
  }

  // ---- plumbing ----

  #roomMedia(): ReturnType<MediaRouter['existing']> {
    return this.#options.media.existing(this.roomId);
  }

  #dropMedia(): void {
    const media = this.#media;
    if (!media) {
      return;
    }
    this.#media = undefined;
    const roomMedia = this.#roomMedia();
    for (const track of media.inbound.values()) {
      roomMedia?.unpublish(track.trackId);
    }
    media.close();
  }

  #sendError(message: string): void {
    this.stats.errorsSent += 1;
    this.#sendMedia({ error: { message } });
  }

  #sendMedia(event: IServerMediaEvent): void {
    this.#send({ serverMediaEvent: event });
  }

  #send(message: Parameters<typeof PeerMessage.encode>[0]): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#ws.send(PeerMessage.encode(message).finish());
  }

  #teardown(): void {
    if (this.#state === 'closed') {
      return;
    }
    const wasAuthenticated = this.#state === 'authenticated' || this.#state === 'joined';
    const wasJoined = this.#state === 'joined';
    const trackIds = [...(this.#media?.inbound.values() ?? [])].map((t) => t.trackId);
    this.#dropMedia();
    this.#state = 'closed';
    clearTimeout(this.#authTimer);
    clearTimeout(this.#offerTimer);
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    this.#pendingTracks.clear();
    this.#view.clear();
    if (wasJoined) {
      this.#host.left(this);
    }
    this.#host.closed(this);
    if (!wasAuthenticated || this.#end === 'gone' || this.#end === 'shutdown') {
      return;
    }
    const { rooms } = this.#options;
    const done =
      this.#end === 'replaced'
        ? Promise.all(trackIds.map((id) => rooms.removeTrack(this.roomId, this.peerId, id)))
        : rooms.setPeerStatus(this.roomId, this.peerId, 'disconnected');
    void done.catch((err: unknown) => this.#log.warn({ err }, 'could not record peer disconnect'));
  }
}

function trackOf(publication: Publication): ServerMediaEvent.ITrack {
  return { metadataJson: jsonOrEmpty(publication.metadataJson), simulcastConfig: SIMULCAST_OFF };
}

function countKinds(publications: readonly Publication[]): { audio: number; video: number } {
  const counts = { audio: 0, video: 0 };
  for (const publication of publications) {
    counts[publication.kind] += 1;
  }
  return counts;
}

export function endpointMetadata(peer: unknown, server: unknown): string {
  return JSON.stringify({ peer: peer ?? {}, server: server ?? {} });
}

function parseJson(text: string): unknown {
  if (!text) {
    return {};
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isPaused(metadataJson: string): boolean {
  const metadata = parseJson(metadataJson);
  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    (metadata as { paused?: unknown }).paused === true
  );
}
