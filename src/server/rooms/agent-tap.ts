import { createOpusDecoder, type OpusDecoder } from '../../media/codec/index.js';
import {
  Chunker,
  createResampler,
  samplesToPcm16leBytes,
  type Resampler,
} from '../../media/pcm/index.js';
import { ReorderBuffer } from '../../media/rtp/index.js';
import { AgentResponse, TrackType } from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import type { MediaPacket, Publication } from './publication.js';

/** A subscriber that hears decoded PCM16 (an agent socket). */
export interface PcmSink {
  readonly peerId: string;
  readonly sampleRateHz: number;
  /** Receives one encoded `AgentResponse.TrackData` frame (20 ms). */
  deliver(frame: Uint8Array, originMs: number): void;
}

interface RateBranch {
  resampler: Resampler | undefined;
  chunker: Chunker;
  sinks: PcmSink[];
}

export interface TapStats {
  packetsDecoded: number;
  packetsConcealed: number;
  decodeErrors: number;
}

/**
 * Room → agent for one published audio track: reorders and decodes the Opus stream once,
 * resamples once per output rate, cuts 20 ms frames, encodes the `TrackData` message once per
 * rate, and hands the same bytes to every agent that hears the track at that rate.
 */
export class AgentTap {
  readonly stats: TapStats = { packetsDecoded: 0, packetsConcealed: 0, decodeErrors: 0 };
  readonly #publication: Publication;
  readonly #log: Logger;
  readonly #decoder: OpusDecoder;
  readonly #reorder = new ReorderBuffer<MediaPacket>();
  readonly #branches = new Map<number, RateBranch>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(publication: Publication, log: Logger) {
    this.#publication = publication;
    this.#log = log;
    this.#decoder = createOpusDecoder();
    this.#unsubscribe = publication.onPacket((packet) => this.#onPacket(packet));
  }

  /** Replaces who hears this track. */
  setSinks(sinks: readonly PcmSink[]): void {
    const byRate = new Map<number, PcmSink[]>();
    for (const sink of sinks) {
      byRate.set(sink.sampleRateHz, [...(byRate.get(sink.sampleRateHz) ?? []), sink]);
    }
    for (const [rate, branch] of this.#branches) {
      if (!byRate.has(rate)) {
        branch.resampler?.close();
        this.#branches.delete(rate);
      }
    }
    for (const [rate, rateSinks] of byRate) {
      const branch = this.#branches.get(rate);
      if (branch) {
        branch.sinks = rateSinks;
      } else {
        this.#branches.set(rate, {
          resampler: rate === 48_000 ? undefined : createResampler(48_000, rate),
          chunker: new Chunker({ sampleRateHz: rate }),
          sinks: rateSinks,
        });
      }
    }
  }

  get sinkCount(): number {
    let n = 0;
    for (const branch of this.#branches.values()) {
      n += branch.sinks.length;
    }
    return n;
  }

  #onPacket(packet: MediaPacket): void {
    if (this.#closed || this.#branches.size === 0) {
      return;
    }
    for (const event of this.#reorder.push(packet)) {
      if (event.kind === 'lost') {
        for (let i = 0; i < Math.min(event.count, 5); i += 1) {
          this.stats.packetsConcealed += 1;
          this.#fanOut(this.#decoder.decodeLost(20), packet.originMs);
        }
        continue;
      }
      let pcm: Int16Array;
      try {
        pcm = this.#decoder.decode(event.packet.payload);
      } catch (err) {
        this.stats.decodeErrors += 1;
        if (this.stats.decodeErrors === 1) {
          this.#log.warn({ err, trackId: this.#publication.trackId }, 'undecodable Opus packet');
        }
        continue;
      }
      this.stats.packetsDecoded += 1;
      this.#fanOut(pcm, event.packet.originMs);
    }
  }

  #fanOut(pcm48k: Int16Array, originMs: number): void {
    const track = {
      id: this.#publication.trackId,
      type: TrackType.TRACK_TYPE_AUDIO,
      metadata: this.#publication.metadataJson,
    };
    for (const [, branch] of this.#branches) {
      const converted = branch.resampler ? branch.resampler.process(pcm48k) : pcm48k;
      for (const frame of branch.chunker.push(converted)) {
        const bytes = AgentResponse.encode({
          trackData: {
            peerId: this.#publication.peerId,
            track,
            data: samplesToPcm16leBytes(frame),
          },
        }).finish();
        for (const sink of branch.sinks) {
          sink.deliver(bytes, originMs);
        }
      }
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#unsubscribe();
    this.#decoder.close();
    for (const branch of this.#branches.values()) {
      branch.resampler?.close();
    }
    this.#branches.clear();
  }
}
