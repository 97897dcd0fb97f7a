import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { ShoalError } from '../../protocol/index.js';
import type { LatencyRecorder } from '../bridge/index.js';
import type { Logger } from '../logger.js';
import type { Publication, TrackKind, VideoCodec } from '../rooms/index.js';
import { InboundTrack, OutboundTrack } from './forwarding.js';
import { serverPeerConfig, type IceOptions } from './ice.js';
import { checkCodecs, finalizeAnswer, parseOffer, type OfferedMedia } from './sdp.js';

export interface PeerMediaOptions {
  ice: IceOptions;
  videoCodec: VideoCodec;
  allowsVideo: boolean;
  /** Silence on the media path (or no connection after an answer) this long ends the peer. */
  iceTimeoutMs: number;
  /** RTP-out latency: packet origin (arrival or pacer due time) → handed to the socket. */
  latency: LatencyRecorder;
  log: Logger;
  /** The media path died (timeout, failure, remote close). Called at most once. */
  onLost: (reason: string) => void;
}

export interface OfferInput {
  sdp: string;
  midToTrackId: Record<string, string>;
  trackIdToMetadataJson: Record<string, string>;
}

/** What the client's tracks look like after one offer/answer. */
export interface NegotiationResult {
  sdp: string;
  midToTrackId: Record<string, string>;
  /** New client tracks; their publications are not published yet. */
  added: InboundTrack[];
  /** Client tracks that ended (already closed); unpublish them. */
  removed: InboundTrack[];
  /** Live client tracks whose metadata the offer changed (publication already updated). */
  updated: InboundTrack[];
}

/** A client recvonly m-line: a slot the server may send one remote track on, never reused. */
interface RecvSlot {
  mid: string;
  kind: TrackKind;
  trackId: string | undefined;
  retired: boolean;
}

/** The client's own candidates are accepted and dropped: an ICE-lite server needs none. */
const MAX_ICE_TIMER_MS = 1_000;

/**
 * One peer's werift RTCPeerConnection and the tracks on it, as Fishjam's signaling shapes them:
 * the client always offers; its sendonly m-lines become inbound tracks (publications), its
 * recvonly m-lines are slots the server fills with remote tracks (one track per slot, a slot
 * never reused once its track ends).
 */
export class PeerMedia {
  readonly #options: PeerMediaOptions;
  readonly #log: Logger;
  #pc: RTCPeerConnection | undefined;
  readonly #inbound = new Map<string, InboundTrack>();
  readonly #outbound = new Map<string, OutboundTrack>();
  /** The client's recvonly m-lines in its latest offer (what offer_data counts). */
  readonly #slots = new Map<string, RecvSlot>();
  /** Slots whose track ended: never given another track, even if the client offers them again. */
  readonly #retiredMids = new Set<string>();
  readonly #watched = new WeakSet<object>();
  #lastActivityMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lost = false;
  readonly #closedSignal: Promise<never>;
  #rejectClosed: (err: Error) => void = () => {};

  constructor(options: PeerMediaOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#closedSignal = new Promise<never>((_, reject) => {
      this.#rejectClosed = reject;
    });
    this.#closedSignal.catch(() => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connectionState(): string {
    return this.#pc?.connectionState ?? 'new';
  }

  get inbound(): ReadonlyMap<string, InboundTrack> {
    return this.#inbound;
  }

  get outbound(): ReadonlyMap<string, OutboundTrack> {
    return this.#outbound;
  }

  /**
   * Transceiver counts for `offer_data`: every recvonly m-line the client already has (Fishjam's
   * counts are cumulative, removed tracks included) plus what the tracks still waiting for a
   * slot need beyond the free slots.
   */
  slotCounts(wanted: readonly Publication[]): { audio: number; video: number } {
    const assigned = new Set<string>();
    const have = { audio: 0, video: 0 };
    const free = { audio: 0, video: 0 };
    for (const slot of this.#slots.values()) {
      have[slot.kind] += 1;
      if (slot.trackId !== undefined && !slot.retired) {
        assigned.add(slot.trackId);
      } else if (slot.trackId === undefined && !slot.retired) {
        free[slot.kind] += 1;
      }
    }
    const pending = { audio: 0, video: 0 };
    for (const publication of wanted) {
      if (!assigned.has(publication.trackId)) {
        pending[publication.kind] += 1;
      }
    }
    return {
      audio: have.audio + Math.max(0, pending.audio - free.audio),
      video: have.video + Math.max(0, pending.video - free.video),
    };
  }

  /**
   * Answers one offer. `wanted` are the remote tracks the client should receive now;
   * `createPublication` makes the publication of a new client track (undefined refuses it).
   * Throws BAD_REQUEST ("SDP offer rejected: …") for an offer the server cannot use.
   */
  async negotiate(
    offer: OfferInput,
    wanted: readonly Publication[],
    createPublication: (
      trackId: string,
      kind: TrackKind,
      metadataJson: string,
    ) => Publication | undefined,
  ): Promise<NegotiationResult> {
    if (this.#closed) {
      throw new ShoalError('CLOSED', 'peer connection is closed');
    }
    const offered = parseOffer(offer.sdp);
    checkCodecs(offered, this.#videoCodecs());
    const pc = this.#pc ?? this.#createConnection();
    await this.#settled(pc);
    try {
      await this.#guard(pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp }));
    } catch (err) {
      if (this.#closed) {
        throw err;
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new ShoalError('BAD_REQUEST', `SDP offer rejected: ${reason}`, { cause: err });
    }
    this.#watchTransports(pc);
    const result: NegotiationResult = {
      sdp: '',
      midToTrackId: {},
      added: [],
      removed: [],
      updated: [],
    };
    const transceivers = new Map<string, RTCRtpTransceiver>();
    for (const t of pc.getTransceivers()) {
      if (t.mid !== null) {
        transceivers.set(t.mid, t);
      }
    }
    const offeredMids = new Set<string>();
    // A track id names one m-line: a second m-line claiming it is refused.
    const claimed = new Set([...this.#inbound.values()].map((t) => t.trackId));
    const recvInOffer: { media: OfferedMedia; transceiver: RTCRtpTransceiver }[] = [];
    for (const media of offered) {
      const transceiver = media.mid === undefined ? undefined : transceivers.get(media.mid);
      if (!transceiver || (media.kind !== 'audio' && media.kind !== 'video')) {
        continue;
      }
      const mid = media.mid as string;
      offeredMids.add(mid);
      const live = media.port !== 0;
      const clientSends =
        live && (media.direction === 'sendonly' || media.direction === 'sendrecv');
      const clientReceives = live && media.direction === 'recvonly';
      const existing = this.#inbound.get(mid);
      if (clientSends) {
        const trackId = offer.midToTrackId[mid];
        if (existing && existing.trackId === trackId) {
          this.#updateMetadata(existing, offer.trackIdToMetadataJson[existing.trackId], result);
          continue;
        }
        if (existing) {
          this.#dropInbound(existing, result);
        }
        const kind = media.kind as TrackKind;
        if (!trackId || (kind === 'video' && !this.#options.allowsVideo)) {
          if (trackId) {
            this.#log.warn({ trackId }, 'video refused: the room is audio-only');
          }
          transceiver.setDirection('inactive');
          continue;
        }
        const publication = claimed.has(trackId)
          ? undefined
          : createPublication(trackId, kind, jsonOrEmpty(offer.trackIdToMetadataJson[trackId]));
        if (!publication) {
          transceiver.setDirection('inactive');
          continue;
        }
        claimed.add(trackId);
        transceiver.setDirection('recvonly');
        const track = new InboundTrack(transceiver, publication, this.#log);
        this.#inbound.set(mid, track);
        result.added.push(track);
        continue;
      }
      if (existing) {
        this.#dropInbound(existing, result);
      }
      if (clientReceives && (media.kind === 'audio' || this.#options.allowsVideo)) {
        recvInOffer.push({ media, transceiver });
        if (!this.#slots.has(mid)) {
          this.#slots.set(mid, {
            mid,
            kind: media.kind as TrackKind,
            trackId: undefined,
            retired: this.#retiredMids.has(mid),
          });
        }
        continue;
      }
      transceiver.setDirection('inactive');
      this.#dropSlot(mid);
    }
    // Client tracks whose m-line vanished, and slots the client no longer offers.
    for (const track of [...this.#inbound.values()]) {
      if (!offeredMids.has(track.mid)) {
        this.#dropInbound(track, result);
      }
    }
    for (const mid of [...this.#slots.keys()]) {
      if (!offeredMids.has(mid)) {
        this.#dropSlot(mid);
      }
    }
    this.#assignSlots(recvInOffer, wanted);

    const answer = await this.#guard(pc.createAnswer());
    await this.#guard(pc.setLocalDescription(answer));
    const local = pc.localDescription?.sdp ?? answer.sdp;
    result.sdp = finalizeAnswer(local, offered);
    for (const track of this.#inbound.values()) {
      result.midToTrackId[track.mid] = track.trackId;
    }
    for (const track of this.#outbound.values()) {
      result.midToTrackId[track.mid] = track.trackId;
    }
    this.#lastActivityMs = performance.now();
    this.#startTimer();
    return result;
  }

  /** Stops sending a remote track that ended; true when it had a slot (renegotiate to close it). */
  stopSending(trackId: string): boolean {
    for (const slot of this.#slots.values()) {
      if (slot.trackId === trackId && !slot.retired) {
        this.#retire(slot.mid);
        return true;
      }
    }
    return false;
  }

  #assignSlots(
    recvInOffer: { media: OfferedMedia; transceiver: RTCRtpTransceiver }[],
    wanted: readonly Publication[],
  ): void {
    const wantedById = new Map(wanted.map((p) => [p.trackId, p]));
    const assigned = new Set<string>();
    for (const slot of this.#slots.values()) {
      if (slot.trackId === undefined || slot.retired) {
        continue;
      }
      const publication = wantedById.get(slot.trackId);
      if (!publication || publication.closed) {
        this.#retire(slot.mid);
      } else {
        assigned.add(slot.trackId);
      }
    }
    const pending = wanted.filter((p) => !assigned.has(p.trackId) && !p.closed);
    for (const { media, transceiver } of recvInOffer) {
      const slot = this.#slots.get(media.mid as string);
      if (!slot) {
        continue;
      }
      if (slot.retired) {
        transceiver.setDirection('inactive');
        continue;
      }
      if (slot.trackId !== undefined) {
        transceiver.setDirection('sendonly');
        continue;
      }
      const index = pending.findIndex((p) => p.kind === slot.kind);
      const publication = index >= 0 ? pending.splice(index, 1)[0] : undefined;
      if (!publication) {
        transceiver.setDirection('inactive');
        continue;
      }
      slot.trackId = publication.trackId;
      transceiver.setDirection('sendonly');
      // a=msid:<publishing peer> <sender track>: ts-client needs event.streams[0].
      transceiver.sender.streamIds = [publication.peerId];
      this.#outbound.set(
        publication.trackId,
        new OutboundTrack(transceiver, publication, this.#options.latency, this.#log),
      );
    }
  }

  /** The client no longer has this m-line as recvonly: it stops counting as a slot. */
  #dropSlot(mid: string): void {
    this.#retire(mid);
    this.#slots.delete(mid);
  }

  #retire(mid: string): void {
    const slot = this.#slots.get(mid);
    if (!slot || slot.retired) {
      return;
    }
    slot.retired = true;
    this.#retiredMids.add(mid);
    if (slot.trackId !== undefined) {
      this.#outbound.get(slot.trackId)?.close();
      this.#outbound.delete(slot.trackId);
    }
    const transceiver = this.#pc?.getTransceivers().find((t) => t.mid === mid);
    transceiver?.setDirection('inactive');
  }

  #dropInbound(track: InboundTrack, result: NegotiationResult): void {
    track.close();
    this.#inbound.delete(track.mid);
    result.removed.push(track);
  }

  #updateMetadata(
    track: InboundTrack,
    metadataJson: string | undefined,
    result: NegotiationResult,
  ): void {
    if (metadataJson === undefined || metadataJson === track.publication.metadataJson) {
      return;
    }
    track.publication.updateMetadata(jsonOrEmpty(metadataJson));
    result.updated.push(track);
  }

  /**
   * The room's video codec; an audio-only room accepts either in an offer only to answer the
   * video m-line inactive (werift fails a whole offer with an m-line it has no codec for).
   */
  #videoCodecs(): VideoCodec[] {
    return this.#options.allowsVideo ? [this.#options.videoCodec] : ['vp8', 'h264'];
  }

  /**
   * werift starts ICE+DTLS on every answer it applies; a second answer while the first
   * connection attempt runs fails it ("state must be new"). So a renegotiation waits for the
   * connection attempt to finish (bounded: a peer that never connects is dropped by the timer).
   */
  async #settled(pc: RTCPeerConnection): Promise<void> {
    if (pc.connectionState !== 'connecting') {
      return;
    }
    await this.#guard(
      new Promise<void>((resolve) => {
        const { unSubscribe } = pc.connectionStateChange.subscribe((state) => {
          if (state !== 'connecting') {
            unSubscribe();
            resolve();
          }
        });
      }),
    );
  }

  #createConnection(): RTCPeerConnection {
    const config = serverPeerConfig(this.#options.ice, this.#videoCodecs(), () => this.#touch());
    const pc = new RTCPeerConnection(config);
    pc.connectionStateChange.subscribe((state) => {
      if (this.#closed) {
        return;
      }
      this.#log.debug({ state }, 'peer connection state');
      if (state === 'connected') {
        this.#touch();
      } else if (state === 'failed') {
        this.#lose('ICE/DTLS connection failed');
      } else if (state === 'closed') {
        this.#lose('peer connection closed by the client');
      }
    });
    this.#pc = pc;
    return pc;
  }

  /** Every datagram from the peer (STUN via the config hook, DTLS/SRTP here) counts as life. */
  #watchTransports(pc: RTCPeerConnection): void {
    for (const transport of pc.iceTransports) {
      const connection = transport.connection;
      if (this.#watched.has(connection)) {
        continue;
      }
      this.#watched.add(connection);
      connection.onData.subscribe(() => this.#touch());
    }
  }

  #touch(): void {
    this.#lastActivityMs = performance.now();
  }

  #startTimer(): void {
    if (this.#timer || this.#closed) {
      return;
    }
    const timeoutMs = this.#options.iceTimeoutMs;
    const every = Math.max(20, Math.min(MAX_ICE_TIMER_MS, Math.floor(timeoutMs / 4)));
    this.#timer = setInterval(() => {
      if (performance.now() - this.#lastActivityMs > timeoutMs) {
        this.#lose(
          this.#pc?.connectionState === 'connected'
            ? `no media from the peer for ${timeoutMs} ms`
            : `ICE did not connect within ${timeoutMs} ms`,
        );
      }
    }, every);
    this.#timer.unref();
  }

  #lose(reason: string): void {
    if (this.#lost || this.#closed) {
      return;
    }
    this.#lost = true;
    this.#log.info({ reason }, 'peer media lost');
    this.#options.onLost(reason);
  }

  /** Rejects with CLOSED as soon as close() runs: werift never settles calls on a closed connection. */
  #guard<T>(operation: Promise<T>): Promise<T> {
    return Promise.race([operation, this.#closedSignal]);
  }

  /** Idempotent. Inbound tracks' publications are the owner's to unpublish. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    this.#rejectClosed(new ShoalError('CLOSED', 'peer connection is closed'));
    for (const track of this.#inbound.values()) {
      track.close();
    }
    for (const track of this.#outbound.values()) {
      track.close();
    }
    this.#outbound.clear();
    const pc = this.#pc;
    this.#pc = undefined;
    pc?.close().catch((err: unknown) => this.#log.debug({ err }, 'closing peer connection'));
  }
}

/** Metadata JSON as clients must receive it: valid JSON ("{}" when absent or broken). */
export function jsonOrEmpty(text: string | undefined): string {
  if (!text) {
    return '{}';
  }
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}
