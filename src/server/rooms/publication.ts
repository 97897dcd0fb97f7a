import type { TrackKind } from './model.js';

/** One Opus packet travelling through a room (RTP payload plus what the receivers need). */
export interface MediaPacket {
  readonly payload: Uint8Array;
  /** 16-bit RTP sequence number of the publishing stream. */
  readonly sequenceNumber: number;
  /** RTP timestamp, 48 kHz clock. */
  readonly timestamp: number;
  /** `performance.now()` when the packet was due (pacer) or arrived (network): latency origin. */
  readonly originMs: number;
  /** RTP marker bit: first packet of a talk spurt (audio), last packet of a frame (video). */
  readonly marker?: boolean;
}

export type PacketListener = (packet: MediaPacket) => void;

/**
 * A published track: the source side of the room's media. Producers (an agent's paced
 * output, a WebRTC peer's incoming RTP) push packets; subscribers listen.
 */
export class Publication {
  readonly trackId: string;
  readonly peerId: string;
  readonly kind: TrackKind;
  /**
   * While true (a client set track metadata `paused`), pushed packets are dropped: nobody hears
   * a muted track, even if its sender keeps sending.
   */
  paused = false;
  /** Asks the producer for a key frame (video from a WebRTC peer); undefined when it cannot. */
  requestKeyframe: (() => void) | undefined;
  #metadataJson: string;
  readonly #listeners = new Set<PacketListener>();
  #closed = false;

  constructor(init: { trackId: string; peerId: string; kind: TrackKind; metadataJson: string }) {
    this.trackId = init.trackId;
    this.peerId = init.peerId;
    this.kind = init.kind;
    this.#metadataJson = init.metadataJson;
  }

  /** Track metadata as the JSON string Fishjam sends (`Track.metadata`). */
  get metadataJson(): string {
    return this.#metadataJson;
  }

  /** New track metadata (a client's update_track_metadata). */
  updateMetadata(metadataJson: string): void {
    this.#metadataJson = metadataJson;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onPacket(listener: PacketListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  push(packet: MediaPacket): void {
    if (this.#closed || this.paused) {
      return;
    }
    for (const listener of this.#listeners) {
      listener(packet);
    }
  }

  close(): void {
    this.#closed = true;
    this.requestKeyframe = undefined;
    this.#listeners.clear();
  }
}
