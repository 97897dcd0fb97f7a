import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { seededRandom } from '../pcm/index.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { ReorderOutput } from './reorder-buffer.js';

interface P {
  sequenceNumber: number;
}

const p = (sequenceNumber: number): P => ({ sequenceNumber });

/** Pushes sequence numbers; returns the emitted stream as numbers and 'L<count>' for losses. */
function run(buffer: ReorderBuffer<P>, seqs: number[]): (number | string)[] {
  return seqs.flatMap((seq) => render(buffer.push(p(seq))));
}

function render(out: ReorderOutput<P>[]): (number | string)[] {
  return out.map((o) => (o.kind === 'packet' ? o.packet.sequenceNumber : `L${o.count}`));
}

describe('ReorderBuffer', { timeout: 5_000 }, () => {
  it('passes an in-order stream straight through', () => {
    const buffer = new ReorderBuffer<P>();
    expect(run(buffer, [100, 101, 102, 103])).toEqual([100, 101, 102, 103]);
    expect(buffer.bufferedPackets).toBe(0);
    expect(buffer.stats).toMatchObject({ received: 4, emitted: 4, lost: 0, reordered: 0 });
  });

  it('puts swapped packets back in order', () => {
    const buffer = new ReorderBuffer<P>();
    expect(run(buffer, [1, 3, 2, 4, 6, 7, 5])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(buffer.stats).toMatchObject({ reordered: 2, lost: 0, emitted: 7 });
  });

  it('holds at most capacity packets, then reports the gap as lost', () => {
    const buffer = new ReorderBuffer<P>({ capacityPackets: 3 });
    expect(run(buffer, [10])).toEqual([10]);
    // 11 is missing: 12, 13, 14 wait for it…
    expect(run(buffer, [12, 13, 14])).toEqual([]);
    expect(buffer.bufferedPackets).toBe(3);
    // …until 15 shows it cannot arrive within the window.
    expect(run(buffer, [15])).toEqual(['L1', 12, 13, 14, 15]);
    // 11 arriving now is too late: dropped and counted.
    expect(run(buffer, [11])).toEqual([]);
    expect(buffer.stats).toMatchObject({ lost: 1, late: 1, duplicates: 0, emitted: 5 });
  });

  it('merges consecutive losses into one report', () => {
    const buffer = new ReorderBuffer<P>({ capacityPackets: 3 });
    // 8 is 6 ahead: 2…4 are given up at once, 5…7 may still come within the window.
    expect(run(buffer, [1, 8])).toEqual([1, 'L3']);
    expect(run(buffer, [9])).toEqual(['L1']);
    expect(run(buffer, [11])).toEqual(['L2', 8, 9]);
    expect(run(buffer, [12, 13, 14])).toEqual(['L1', 11, 12, 13, 14]);
    expect(buffer.stats.lost).toBe(7);
    // Within one push, a run of losses is one report.
    const merged = new ReorderBuffer<P>({ capacityPackets: 1 });
    expect(run(merged, [1, 7])).toEqual([1, 'L4']);
    expect(run(merged, [8])).toEqual(['L1', 7, 8]);
  });

  it('drops duplicates, whether already emitted or still held', () => {
    const buffer = new ReorderBuffer<P>();
    expect(run(buffer, [1, 2, 2, 1])).toEqual([1, 2]);
    expect(run(buffer, [4, 4])).toEqual([]);
    expect(run(buffer, [3])).toEqual([3, 4]);
    expect(buffer.stats).toMatchObject({ duplicates: 3, late: 0, emitted: 4 });
  });

  it('handles the wrap at 65535 → 0 in order, reordered and with loss', () => {
    const inOrder = new ReorderBuffer<P>();
    expect(run(inOrder, [65533, 65534, 65535, 0, 1])).toEqual([65533, 65534, 65535, 0, 1]);

    const swapped = new ReorderBuffer<P>();
    expect(run(swapped, [65534, 0, 65535, 2, 1])).toEqual([65534, 65535, 0, 1, 2]);
    expect(swapped.stats.lost).toBe(0);

    const lossy = new ReorderBuffer<P>({ capacityPackets: 3 });
    expect(run(lossy, [65534, 0, 1, 2, 3])).toEqual([65534, 'L1', 0, 1, 2, 3]);
    // 65535 is late, not a restart.
    expect(run(lossy, [65535])).toEqual([]);
    expect(lossy.stats).toMatchObject({ late: 1, resyncs: 0 });
  });

  it('keeps slots apart across the wrap for every capacity', () => {
    for (let capacity = 0; capacity <= 6; capacity++) {
      const buffer = new ReorderBuffer<P>({ capacityPackets: capacity });
      const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4];
      // The first in order, then reversed pairs: 65532, 65531, 65534, 65533, …
      const pushed: number[] = [65530];
      for (let i = 1; i + 1 < seqs.length; i += 2) {
        pushed.push(seqs[i + 1] as number, seqs[i] as number);
      }
      const out = run(buffer, pushed).concat(render(buffer.flush()));
      const packets = out.filter((x): x is number => typeof x === 'number');
      // Whatever the capacity, the output is in order and nothing is duplicated.
      for (let i = 1; i < packets.length; i++) {
        expect((((packets[i] as number) - (packets[i - 1] as number)) & 0xffff) > 0).toBe(true);
      }
      if (capacity >= 1) {
        expect(packets).toEqual(seqs);
      }
    }
  });

  it('resyncs on a large jump forward (sender restart) without reporting thousands lost', () => {
    const buffer = new ReorderBuffer<P>({ capacityPackets: 3, maxGapPackets: 50 });
    expect(run(buffer, [1000, 1001, 1003])).toEqual([1000, 1001]);
    expect(run(buffer, [20_000, 20_001])).toEqual(['L1', 1003, 20_000, 20_001]);
    expect(buffer.stats).toMatchObject({ resyncs: 1, lost: 1 });
  });

  it('resyncs on a large jump backward, and on a run of stale packets', () => {
    const far = new ReorderBuffer<P>({ maxGapPackets: 50 });
    expect(run(far, [30_000, 30_001, 100, 101])).toEqual([30_000, 30_001, 100, 101]);
    expect(far.stats.resyncs).toBe(1);

    // Restarted a few numbers behind: the first stale packets are dropped, then it follows.
    const near = new ReorderBuffer<P>({ staleResyncPackets: 4 });
    expect(run(near, [500, 501, 502, 503, 504])).toEqual([500, 501, 502, 503, 504]);
    expect(run(near, [497, 498, 499])).toEqual([]);
    expect(run(near, [500, 501, 502])).toEqual([500, 501, 502]);
    expect(near.stats).toMatchObject({ resyncs: 1, late: 3, duplicates: 0 });
  });

  it('flush() emits what is held with the gaps between; the stream goes on after', () => {
    const buffer = new ReorderBuffer<P>({ capacityPackets: 5 });
    expect(run(buffer, [1, 3, 6])).toEqual([1]);
    expect(render(buffer.flush())).toEqual(['L1', 3, 'L2', 6]);
    expect(buffer.bufferedPackets).toBe(0);
    expect(render(buffer.flush())).toEqual([]);
    expect(run(buffer, [7])).toEqual([7]);
  });

  it('capacity 0 never holds: every gap is lost at once', () => {
    const buffer = new ReorderBuffer<P>({ capacityPackets: 0 });
    expect(run(buffer, [1, 3, 2, 4])).toEqual([1, 'L1', 3, 4]);
    expect(buffer.stats).toMatchObject({ late: 1, lost: 1 });
  });

  it('reset() starts afresh at the next packet', () => {
    const buffer = new ReorderBuffer<P>();
    run(buffer, [1, 3]);
    buffer.reset();
    expect(buffer.bufferedPackets).toBe(0);
    expect(run(buffer, [9000, 9001])).toEqual([9000, 9001]);
  });

  it('a random shuffle within the window loses nothing; random loss is all reported', () => {
    const random = seededRandom(17);
    const buffer = new ReorderBuffer<P>({ capacityPackets: 3 });
    const start = 65_000;
    const count = 3000;
    // Shuffle within blocks of 3 (displacement ≤ 2 < capacity) and drop ~5 %.
    const order: number[] = [];
    for (let block = 0; block < count; block += 3) {
      const items = [0, 1, 2].map((i) => (start + block + i) & 0xffff);
      // (The very first packet starts the stream, so it comes first.)
      for (let i = items.length - 1; i > 0 && block > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [items[i], items[j]] = [items[j] as number, items[i] as number];
      }
      order.push(...items);
    }
    const dropped = new Set(order.filter((_, i) => i > 0 && random() < 0.05));
    const sent = order.filter((s) => !dropped.has(s));
    const out = run(buffer, sent).concat(render(buffer.flush()));
    let expected = start & 0xffff;
    let lost = 0;
    for (const item of out) {
      if (typeof item === 'number') {
        expect(item).toBe(expected);
        expected = (expected + 1) & 0xffff;
      } else {
        const n = Number(item.slice(1));
        lost += n;
        expected = (expected + n) & 0xffff;
      }
    }
    // Losses at the very end cannot be known; everything else is accounted for.
    expect(lost).toBeLessThanOrEqual(dropped.size);
    expect(lost).toBeGreaterThanOrEqual(dropped.size - 3);
    expect(buffer.stats).toMatchObject({
      late: 0,
      duplicates: 0,
      resyncs: 0,
      emitted: sent.length,
    });
  });

  it('rejects invalid options and sequence numbers', () => {
    const codes: unknown[] = [];
    for (const make of [
      () => new ReorderBuffer<P>({ capacityPackets: -1 }),
      () => new ReorderBuffer<P>({ capacityPackets: 10, maxGapPackets: 5 }),
      () => new ReorderBuffer<P>().push(p(70_000)),
    ]) {
      try {
        make();
      } catch (err) {
        codes.push(isShoalError(err) ? err.code : err);
      }
    }
    expect(codes).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'INVALID_AUDIO']);
  });
});
