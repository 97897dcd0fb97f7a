import { ShoalError } from '../../protocol/errors.js';
import { sequenceAdd, sequenceDiff } from './sequence-number.js';

/** What the reorder buffer emits, in sequence order. */
export type ReorderOutput<P> = { kind: 'packet'; packet: P } | { kind: 'lost'; count: number };

export interface ReorderBufferOptions {
  /**
   * Most packets held while waiting for a missing one; also how far ahead (in sequence numbers)
   * a packet may be before the missing ones are declared lost. Default 3 (60 ms of 20 ms packets).
   */
  capacityPackets?: number;
  /** A jump forward or back by more than this many sequence numbers is a sender restart: resync. Default 50. */
  maxGapPackets?: number;
  /** This many stale (late or duplicate) packets in a row also mean a restart: resync. Default 8. */
  staleResyncPackets?: number;
}

export interface ReorderStats {
  /** Packets pushed. */
  received: number;
  /** Packets emitted. */
  emitted: number;
  /** Sequence numbers reported lost. */
  lost: number;
  /** Packets dropped because the same sequence number was already emitted or held. */
  duplicates: number;
  /** Packets dropped because their place had already been declared lost. */
  late: number;
  /** Packets that arrived after a later one and still made it in order. */
  reordered: number;
  /** Times the stream was restarted at a new sequence number. */
  resyncs: number;
}

// How many recently emitted sequence numbers are remembered to tell duplicates from late packets.
const HISTORY = 64;

/**
 * A pure reorder window over 16-bit RTP sequence numbers (wrap at 65535 → 0). Packets come out in
 * order; a gap becomes one `{ kind: 'lost', count }` once a packet `capacityPackets` ahead of it has
 * arrived (so a decoder can conceal), duplicates and too-late packets are dropped and counted, and
 * a large jump (sender restart) resyncs instead of reporting thousands of losses.
 * Held packets wait for later arrivals: call flush() when the stream pauses or ends.
 */
export class ReorderBuffer<P extends { sequenceNumber: number }> {
  readonly capacityPackets: number;
  readonly maxGapPackets: number;
  readonly staleResyncPackets: number;
  readonly #stats: ReorderStats = {
    received: 0,
    emitted: 0,
    lost: 0,
    duplicates: 0,
    late: 0,
    reordered: 0,
    resyncs: 0,
  };
  // Slot (seq mod a power of two > capacity, which divides 2^16 so the wrap keeps slots unique)
  // → held packet; held packets are always within next+1 … next+capacity.
  readonly #slots: (P | undefined)[];
  readonly #recent = new Int32Array(HISTORY).fill(-1);
  #held = 0;
  // Sequence number to emit next; undefined before the first packet.
  #next: number | undefined;
  #staleInARow = 0;

  constructor(options: ReorderBufferOptions = {}) {
    const { capacityPackets = 3, maxGapPackets = 50, staleResyncPackets = 8 } = options;
    if (!Number.isInteger(capacityPackets) || capacityPackets < 0 || capacityPackets > 1000) {
      throw new ShoalError('BAD_REQUEST', `invalid reorder capacity: ${capacityPackets}`);
    }
    if (
      !Number.isInteger(maxGapPackets) ||
      maxGapPackets < capacityPackets ||
      maxGapPackets > 30_000
    ) {
      throw new ShoalError('BAD_REQUEST', `invalid maxGapPackets: ${maxGapPackets}`);
    }
    if (!Number.isInteger(staleResyncPackets) || staleResyncPackets < 1) {
      throw new ShoalError('BAD_REQUEST', `invalid staleResyncPackets: ${staleResyncPackets}`);
    }
    this.capacityPackets = capacityPackets;
    this.maxGapPackets = maxGapPackets;
    this.staleResyncPackets = staleResyncPackets;
    let slotCount = 1;
    while (slotCount <= capacityPackets) {
      slotCount *= 2;
    }
    this.#slots = new Array<P | undefined>(slotCount).fill(undefined);
  }

  /** Counters since creation (a copy). */
  get stats(): ReorderStats {
    return { ...this.#stats };
  }

  /** Packets held waiting for a missing one. */
  get bufferedPackets(): number {
    return this.#held;
  }

  /** Adds one packet; returns what can now be emitted, in order (possibly nothing). */
  push(packet: P): ReorderOutput<P>[] {
    const seq = packet.sequenceNumber;
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) {
      throw new ShoalError('INVALID_AUDIO', `invalid RTP sequence number: ${seq}`);
    }
    this.#stats.received++;
    const out: ReorderOutput<P>[] = [];
    if (this.#next === undefined) {
      this.#next = seq;
    }
    const distance = sequenceDiff(seq, this.#next);
    if (distance < 0) {
      if (distance >= -this.maxGapPackets && ++this.#staleInARow < this.staleResyncPackets) {
        if (this.#recent[seq % HISTORY] === seq) {
          this.#stats.duplicates++;
        } else {
          this.#stats.late++;
        }
        return out;
      }
      this.#resync(packet, out);
      return out;
    }
    this.#staleInARow = 0;
    if (distance > this.maxGapPackets) {
      this.#resync(packet, out);
      return out;
    }
    if (distance === 0) {
      if (this.#held > 0) {
        this.#stats.reordered++;
      }
      this.#emit(packet, out);
      this.#drain(out);
      return out;
    }
    // Ahead of the next expected packet. Too far ahead: give up on the oldest missing ones.
    while (sequenceDiff(seq, this.#next) > this.capacityPackets) {
      this.#advance(out);
    }
    if (sequenceDiff(seq, this.#next) === 0) {
      this.#emit(packet, out);
    } else {
      const slot = seq % this.#slots.length;
      if (this.#slots[slot] !== undefined) {
        this.#stats.duplicates++;
      } else {
        this.#slots[slot] = packet;
        this.#held++;
      }
    }
    this.#drain(out);
    return out;
  }

  /**
   * Emits everything held, in order, with the gaps between as lost (none after the last held
   * packet). For a stream that pauses or ends; later packets continue from there.
   */
  flush(): ReorderOutput<P>[] {
    const out: ReorderOutput<P>[] = [];
    this.#flushInto(out);
    return out;
  }

  /** Forgets the stream (the next packet starts it afresh); keeps the stats. */
  reset(): void {
    this.#slots.fill(undefined);
    this.#held = 0;
    this.#next = undefined;
    this.#staleInARow = 0;
    this.#recent.fill(-1);
  }

  #flushInto(out: ReorderOutput<P>[]): void {
    while (this.#held > 0) {
      this.#advance(out);
    }
  }

  /** A jump no reordering explains: emit what is held, then start over at this packet. */
  #resync(packet: P, out: ReorderOutput<P>[]): void {
    this.#flushInto(out);
    this.#stats.resyncs++;
    this.#staleInARow = 0;
    this.#recent.fill(-1);
    this.#next = packet.sequenceNumber;
    this.#emit(packet, out);
  }

  /** Moves past the next sequence number: emits it if held, else reports it lost. */
  #advance(out: ReorderOutput<P>[]): void {
    const next = this.#next as number;
    const slot = next % this.#slots.length;
    const held = this.#slots[slot];
    if (held !== undefined && held.sequenceNumber === next) {
      this.#slots[slot] = undefined;
      this.#held--;
      this.#emit(held, out);
      return;
    }
    this.#stats.lost++;
    const last = out[out.length - 1];
    if (last?.kind === 'lost') {
      last.count++;
    } else {
      out.push({ kind: 'lost', count: 1 });
    }
    this.#next = sequenceAdd(next, 1);
  }

  /** Emits held packets while the next one is present. */
  #drain(out: ReorderOutput<P>[]): void {
    while (this.#held > 0) {
      const next = this.#next as number;
      const held = this.#slots[next % this.#slots.length];
      if (held === undefined || held.sequenceNumber !== next) {
        return;
      }
      this.#advance(out);
    }
  }

  #emit(packet: P, out: ReorderOutput<P>[]): void {
    const seq = packet.sequenceNumber;
    this.#stats.emitted++;
    this.#recent[seq % HISTORY] = seq;
    this.#next = sequenceAdd(seq, 1);
    out.push({ kind: 'packet', packet });
  }
}
