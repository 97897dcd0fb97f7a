import type { RawData, WebSocket } from 'ws';
import {
  AgentResponse,
  TrackEncoding,
  TrackType,
  decodeAgentRequest,
  variantOf,
  type AgentRequest,
} from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import type { Notification, NotificationBus } from '../notifications/index.js';
import {
  Publication,
  type MediaRouter,
  type PcmListener,
  type RoomMedia,
  type RoomService,
} from '../rooms/index.js';
import { closeReason, keepAlive, toBytes, type SocketRoute } from '../sockets/index.js';
import type { MediaClock } from './clock.js';
import type { LatencyRecorder } from './latency.js';
import { OutboundQueue } from './outbound-queue.js';
import { AgentOutputTrack, type OutputTrackStats } from './output-track.js';

export interface AgentSocketsOptions {
  rooms: RoomService;
  bus: NotificationBus;
  media: MediaRouter;
  clock: MediaClock;
  latency: LatencyRecorder;
  log: Logger;
  pingIntervalMs: number;
  authTimeoutMs: number;
  /** Room → agent queue per socket, ms of audio per heard track (drop-oldest beyond). */
  outboundCapacityMs: number;
  /** Agent → room buffer per track (Fishjam: 10 minutes; excess dropped). */
  trackBufferMs: number;
  opusComplexity: number;
}

type Close = readonly [number, string];

export interface AgentSocketTotals {
  sessions: number;
  /** Room → agent frames written to agent sockets. */
  framesToAgents: number;
  /** Room → agent frames dropped because an agent read too slowly. */
  framesToAgentsDropped: number;
  outboundQueuedFrames: number;
  /** Agent → room frames played (paced, encoded). */
  framesPlayed: number;
  /** Agent → room frames refused because a track's buffer was full. */
  framesRefused: number;
  framesInterrupted: number;
}

/** Close codes and reasons; Fishjam's where it has them (fishjam-protocol.md §3.2, §3.4). */
export const AgentClose = {
  unauthenticated: [1000, 'unauthenticated'],
  peerRemoved: [1000, 'Peer removed'],
  roomStopped: [1000, 'Room stopped'],
  replaced: [1000, 'replaced by a new connection'],
  shutdown: [1001, 'server shutting down'],
  binaryOnly: [1003, 'binary frames only'],
  malformed: [1007, 'malformed message'],
  authTimeout: [1008, 'authentication timeout'],
  backlog: [1008, 'too much data queued before the server could process it'],
} as const satisfies Record<string, Close>;

const UUID_V4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
/**
 * Frames wait in the inbox only while authentication or a store call runs; 32 MiB is about 11
 * minutes of 24 kHz PCM (a whole TTS burst sent right behind the auth frame fits).
 */
const MAX_INBOX_BYTES = 32 * 1024 * 1024;
/** Socket bytes held unsent before the outbound queue holds frames itself. */
const SOCKET_HIGH_WATER_BYTES = 64 * 1024;

/**
 * `/socket/agent/websocket`: Fishjam's agent contract. Auth by agent token in the first frame;
 * frames right behind it (js-server-sdk 0.25 does not wait) are processed in order once auth
 * completes. One session per agent peer; reconnecting with the same token replaces the old one.
 */
export class AgentSockets {
  readonly #options: AgentSocketsOptions;
  readonly #log: Logger;
  readonly #sessions = new Map<string, AgentSession>();
  readonly #pending = new Set<AgentSession>();
  /** Counts of sessions that have closed, so totals() is monotonic. */
  readonly #retired = emptyTotals();
  readonly #unsubscribe: (() => void)[];
  #closed = false;

  constructor(options: AgentSocketsOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'agent-socket' });
    this.#unsubscribe = [
      options.bus.on('notification', (n) => this.#onNotification(n)),
      options.rooms.events.on('subscriptionsChanged', (roomId, peerId, subscriptions) => {
        const session = this.#sessions.get(peerId);
        if (session?.roomId === roomId) {
          session.subscriptions = subscriptions;
          options.media.existing(roomId)?.rewire();
        }
      }),
      options.rooms.events.on('roomClosing', (roomId) => {
        try {
          for (const session of [...this.#sessions.values()]) {
            if (session.roomId === roomId) {
              session.close(AgentClose.roomStopped, 'gone');
            }
          }
        } finally {
          options.media.closeRoom(roomId);
        }
      }),
    ];
  }

  route(): SocketRoute {
    return {
      path: '/socket/agent/websocket',
      maxPayloadBytes: 4 * 1024 * 1024,
      onConnection: (ws) => this.#accept(ws),
    };
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  session(peerId: string): AgentSession | undefined {
    return this.#sessions.get(peerId);
  }

  /** Process-lifetime totals (closed sessions included; `sessions` and the queue are live). */
  totals(): AgentSocketTotals {
    const totals = { ...this.#retired, sessions: this.#sessions.size, outboundQueuedFrames: 0 };
    for (const session of this.#sessions.values()) {
      addSession(totals, session);
      totals.outboundQueuedFrames += session.outbound?.queuedFrames ?? 0;
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
      session.close(AgentClose.shutdown, 'shutdown');
    }
  }

  #accept(ws: WebSocket): void {
    if (this.#closed) {
      ws.close(...AgentClose.shutdown);
      return;
    }
    const session = new AgentSession(ws, this.#options, this.#log, {
      authenticated: (s) => {
        this.#pending.delete(s);
        const previous = this.#sessions.get(s.peerId);
        this.#sessions.set(s.peerId, s);
        previous?.close(AgentClose.replaced, 'replaced');
        return previous !== undefined;
      },
      closed: (s) => {
        this.#pending.delete(s);
        if (this.#sessions.get(s.peerId) === s) {
          this.#sessions.delete(s.peerId);
        }
        addSession(this.#retired, s);
      },
    });
    this.#pending.add(session);
  }

  #onNotification(n: Notification): void {
    if (n.kind === 'peerDeleted') {
      const peerId = (n.body as { peerId: string }).peerId;
      this.#sessions.get(peerId)?.close(AgentClose.peerRemoved, 'gone');
    }
  }
}

function emptyTotals(): AgentSocketTotals {
  return {
    sessions: 0,
    framesToAgents: 0,
    framesToAgentsDropped: 0,
    outboundQueuedFrames: 0,
    framesPlayed: 0,
    framesRefused: 0,
    framesInterrupted: 0,
  };
}

function addSession(totals: AgentSocketTotals, session: AgentSession): void {
  totals.framesToAgents += session.outbound?.stats.framesSent ?? 0;
  totals.framesToAgentsDropped += session.outbound?.stats.framesDropped ?? 0;
  for (const track of session.trackStats()) {
    totals.framesPlayed += track.framesPlayed;
    totals.framesRefused += track.framesDropped;
    totals.framesInterrupted += track.framesInterrupted;
  }
}

interface SessionHooks {
  /** Returns true when this session replaced an older one of the same peer. */
  authenticated(session: AgentSession): boolean;
  closed(session: AgentSession): void;
}

/** Why a session ended, which decides what the room hears about it. */
type EndKind = 'disconnected' | 'replaced' | 'gone' | 'shutdown';

export class AgentSession implements PcmListener {
  peerId = '';
  roomId = '';
  sampleRateHz = 16_000;
  subscribeMode: 'auto' | 'manual' = 'auto';
  subscriptions: { peers: readonly string[]; tracks: readonly string[] } = {
    peers: [],
    tracks: [],
  };
  readonly tracks = new Map<string, AgentOutputTrack>();
  /** Summed stats of this session's tracks that are gone. */
  readonly #endedTracks: OutputTrackStats = {
    framesPlayed: 0,
    framesDropped: 0,
    framesInterrupted: 0,
    interrupts: 0,
  };
  /** Frames for tracks this session removed: late TrackData for them is dropped, not an error. */
  readonly #removedTrackIds = new Set<string>();
  readonly #ws: WebSocket;
  readonly #options: AgentSocketsOptions;
  #log: Logger;
  readonly #hooks: SessionHooks;
  readonly #authTimer: NodeJS.Timeout;
  readonly #inbox: { message: AgentRequest; bytes: number }[] = [];
  /** Bytes of frames waiting in the inbox (they wait only while auth or a store call runs). */
  #inboxBytes = 0;
  #state: 'awaitingAuth' | 'authenticating' | 'open' | 'closed' = 'awaitingAuth';
  #pumping = false;
  #media: RoomMedia | undefined;
  #outbound: OutboundQueue | undefined;
  #end: EndKind = 'disconnected';
  readonly stats = { framesIn: 0, lateFramesDropped: 0 };

  constructor(ws: WebSocket, options: AgentSocketsOptions, log: Logger, hooks: SessionHooks) {
    this.#ws = ws;
    this.#options = options;
    this.#log = log;
    this.#hooks = hooks;
    keepAlive(ws, options.pingIntervalMs);
    this.#authTimer = setTimeout(() => this.close(AgentClose.authTimeout), options.authTimeoutMs);
    this.#authTimer.unref();
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    ws.on('error', (err) => this.#log.debug({ err }, 'agent socket error'));
    ws.on('close', () => this.#teardown());
  }

  get outbound(): OutboundQueue | undefined {
    return this.#outbound;
  }

  // PcmListener: the room delivers 20 ms TrackData frames here.
  deliver(frame: Uint8Array, originMs: number): void {
    this.#outbound?.push(frame, originMs);
  }

  hearing(trackCount: number): void {
    if (this.#outbound) {
      this.#outbound.tracksHeard = trackCount;
    }
  }

  close(reason: Close, end: EndKind = 'disconnected'): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#end = end;
    this.#ws.close(reason[0], closeReason(reason[1]));
    this.#teardown();
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') {
      return;
    }
    if (!isBinary) {
      this.close(AgentClose.binaryOnly);
      return;
    }
    const frame = toBytes(data);
    let message: AgentRequest;
    try {
      message = decodeAgentRequest(frame);
    } catch {
      this.close(AgentClose.malformed);
      return;
    }
    if (this.#state === 'awaitingAuth') {
      this.#authenticate(message);
      return;
    }
    const bytes = frame.byteLength;
    if (this.#inboxBytes + bytes > MAX_INBOX_BYTES) {
      this.#log.warn({ queuedBytes: this.#inboxBytes }, 'agent inbox over budget; closing');
      this.close(AgentClose.backlog);
      return;
    }
    this.#inboxBytes += bytes;
    this.#inbox.push({ message, bytes });
    void this.#pump();
  }

  #authenticate(message: AgentRequest): void {
    if (variantOf(message) !== 'authRequest') {
      this.close(AgentClose.unauthenticated);
      return;
    }
    this.#state = 'authenticating';
    void this.#completeAuth(message).catch((err: unknown) => {
      this.#log.error({ err }, 'agent authentication failed');
      this.close([1011, 'Internal server error']);
    });
  }

  async #completeAuth(message: AgentRequest): Promise<void> {
    const found = await this.#options.rooms.authenticate(message.authRequest?.token, 'agent');
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
    this.sampleRateHz = found.peer.agentOutput?.audioSampleRate ?? 16_000;
    this.subscribeMode = found.peer.subscribeMode;
    this.subscriptions = found.peer.subscriptions;
    this.#state = 'open';
    const replaced = this.#hooks.authenticated(this);
    this.#ws.send(AgentResponse.encode({ authenticated: {} }).finish());
    this.#outbound = new OutboundQueue(
      this.#ws,
      {
        capacityMs: this.#options.outboundCapacityMs,
        frameMs: 20,
        socketHighWaterBytes: SOCKET_HIGH_WATER_BYTES,
      },
      (originMs) => this.#options.latency.record(performance.now() - originMs),
    );
    if (!replaced) {
      await this.#options.rooms.setPeerStatus(roomId, peerId, 'connected');
    }
    if (this.#state !== 'open') {
      return;
    }
    this.#media = this.#options.media.room(roomId);
    this.#media.addListener(this);
    this.#log.debug('agent authenticated');
    await this.#pump();
  }

  /** Handles queued frames strictly in order; awaits the few that touch the store. */
  async #pump(): Promise<void> {
    if (this.#pumping || this.#state !== 'open' || !this.#media) {
      return;
    }
    this.#pumping = true;
    try {
      for (let item = this.#inbox.shift(); item; item = this.#inbox.shift()) {
        this.#inboxBytes -= item.bytes;
        if (this.#state !== 'open') {
          return;
        }
        await this.#handle(item.message);
      }
    } catch (err) {
      this.#log.error({ err }, 'agent frame handling failed');
      this.close([1011, 'Internal server error']);
    } finally {
      this.#pumping = false;
    }
  }

  async #handle(message: AgentRequest): Promise<void> {
    switch (variantOf(message)) {
      case 'trackData':
        this.#trackData(message.trackData?.trackId ?? '', message.trackData?.data);
        return;
      case 'addTrack':
        await this.#addTrack(message.addTrack as AgentRequest.IAddTrack);
        return;
      case 'interruptTrack':
        this.tracks.get(message.interruptTrack?.trackId ?? '')?.interrupt();
        return;
      case 'removeTrack':
        this.#removeTrack(message.removeTrack?.trackId ?? '');
        return;
      case 'authRequest':
        this.close([1003, 'already authenticated']);
        return;
      case 'captureImage':
        this.#log.debug('captureImage is not supported for audio agents; ignored');
        return;
      default:
        this.close(AgentClose.malformed);
    }
  }

  #trackData(trackId: string, data: Uint8Array | null | undefined): void {
    const track = this.tracks.get(trackId);
    if (!track) {
      if (this.#removedTrackIds.has(trackId)) {
        this.stats.lateFramesDropped += 1;
        return;
      }
      this.close([1008, `unknown track ${trackId.slice(0, 64)}`]);
      return;
    }
    this.stats.framesIn += 1;
    if (data && data.length > 0) {
      track.push(data, performance.now());
    }
  }

  async #addTrack(request: AgentRequest.IAddTrack): Promise<void> {
    const invalid = (why: string): void => this.close([1003, `unsupported track: ${why}`]);
    const track = request.track;
    const id = track?.id ?? '';
    if (!track || !UUID_V4.test(id)) {
      invalid('track id must be a UUID v4');
      return;
    }
    if (this.tracks.has(id) || this.#media?.publications.has(id)) {
      invalid('track id already in use');
      return;
    }
    if (track.type === TrackType.TRACK_TYPE_VIDEO) {
      invalid('agent tracks must be audio');
      return;
    }
    const codec = request.codecParams ?? {};
    const channels = codec.channels || 1;
    if (channels !== 1) {
      invalid(`channels must be 1 (mono), got ${channels}`);
      return;
    }
    const opus = codec.encoding === TrackEncoding.TRACK_ENCODING_OPUS;
    const rate = opus ? 48_000 : (codec.sampleRate ?? 0);
    if (!opus && rate !== 16_000 && rate !== 24_000) {
      invalid(`pcm16 sample rate must be 16000 or 24000, got ${rate}`);
      return;
    }
    const metadataJson = track.metadata || '{}';
    const media = this.#media as RoomMedia;
    const publication = new Publication({
      trackId: id,
      peerId: this.peerId,
      kind: 'audio',
      metadataJson,
    });
    const output = new AgentOutputTrack({
      trackId: id,
      encoding: opus ? 'opus' : 'pcm16',
      inputRateHz: rate,
      maxBufferMs: this.#options.trackBufferMs,
      opusComplexity: this.#options.opusComplexity,
      publication,
      log: this.#log,
    });
    this.tracks.set(id, output);
    media.publish(publication);
    this.#options.clock.add(output);
    await this.#options.rooms.addTrack(this.roomId, this.peerId, {
      id,
      type: 'audio',
      metadata: parseJson(metadataJson),
    });
  }

  #removeTrack(trackId: string): void {
    const track = this.tracks.get(trackId);
    if (!track) {
      return;
    }
    this.#removedTrackIds.add(trackId);
    track.drain(() => {
      this.#dropTrack(track);
      void this.#options.rooms
        .removeTrack(this.roomId, this.peerId, trackId)
        .catch((err: unknown) =>
          this.#log.warn({ err, trackId }, 'could not record track removal'),
        );
    });
  }

  /** Stats of every track this session has had, live and ended. */
  trackStats(): OutputTrackStats[] {
    return [this.#endedTracks, ...[...this.tracks.values()].map((t) => t.stats)];
  }

  #dropTrack(track: AgentOutputTrack): void {
    for (const key of Object.keys(this.#endedTracks) as (keyof OutputTrackStats)[]) {
      this.#endedTracks[key] += track.stats[key];
    }
    this.#options.clock.remove(track);
    this.tracks.delete(track.trackId);
    this.#media?.unpublish(track.trackId);
    track.close();
  }

  #teardown(): void {
    if (this.#state === 'closed') {
      return;
    }
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    clearTimeout(this.#authTimer);
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    this.#outbound?.close();
    this.#media?.removeListener(this.peerId);
    const trackIds = [...this.tracks.keys()];
    for (const track of [...this.tracks.values()]) {
      this.#dropTrack(track);
    }
    this.#hooks.closed(this);
    if (!wasOpen || this.#end === 'gone' || this.#end === 'shutdown') {
      return;
    }
    const { rooms } = this.#options;
    const done =
      this.#end === 'replaced'
        ? Promise.all(trackIds.map((id) => rooms.removeTrack(this.roomId, this.peerId, id)))
        : rooms.setPeerStatus(this.roomId, this.peerId, 'disconnected');
    void done.catch((err: unknown) => this.#log.warn({ err }, 'could not record agent disconnect'));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
