import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { OutboundQueue } from './outbound-queue.js';

/** A socket whose unsent byte count the test controls; `send` completes only when told. */
function fakeSocket(): {
  ws: WebSocket;
  sent: Uint8Array[];
  block(bytes: number): void;
  drain(): void;
} {
  let buffered = 0;
  const callbacks: (() => void)[] = [];
  const sent: Uint8Array[] = [];
  const ws = {
    get bufferedAmount() {
      return buffered;
    },
    send(data: Uint8Array, _opts: unknown, cb: () => void) {
      sent.push(data);
      callbacks.push(cb);
    },
  } as unknown as WebSocket;
  return {
    ws,
    sent,
    block: (bytes) => {
      buffered = bytes;
    },
    drain: () => {
      buffered = 0;
      for (const cb of callbacks.splice(0)) {
        cb();
      }
    },
  };
}

const frame = (n: number): Uint8Array => new Uint8Array([n & 0xff, n >> 8]);

describe('OutboundQueue (room → agent, per socket)', () => {
  it('writes straight through while the socket has room', () => {
    const socket = fakeSocket();
    const latencies: number[] = [];
    const q = new OutboundQueue(
      socket.ws,
      { capacityMs: 100, frameMs: 20, socketHighWaterBytes: 1000 },
      (o) => latencies.push(o),
    );
    for (let i = 0; i < 10; i += 1) {
      q.push(frame(i), i);
    }
    expect(socket.sent).toHaveLength(10);
    expect(latencies).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.stats.framesDropped).toBe(0);
  });

  it('holds frames while the socket is full and drops the oldest beyond capacity, counted', () => {
    const socket = fakeSocket();
    const q = new OutboundQueue(
      socket.ws,
      { capacityMs: 100, frameMs: 20, socketHighWaterBytes: 1000 },
      () => {},
    );
    socket.block(5000);
    for (let i = 0; i < 12; i += 1) {
      q.push(frame(i), 0);
    }
    expect(socket.sent).toHaveLength(0);
    expect(q.queuedFrames).toBe(5); // 100 ms of 20 ms frames
    expect(q.stats.framesDropped).toBe(7);

    socket.drain();
    q.flush();
    // The newest five survive, in order.
    expect(socket.sent.map((b) => b[0])).toEqual([7, 8, 9, 10, 11]);
  });

  it('scales its capacity with the number of tracks the agent hears', () => {
    const socket = fakeSocket();
    const q = new OutboundQueue(
      socket.ws,
      { capacityMs: 100, frameMs: 20, socketHighWaterBytes: 1000 },
      () => {},
    );
    q.tracksHeard = 3;
    socket.block(5000);
    for (let i = 0; i < 30; i += 1) {
      q.push(frame(i), 0);
    }
    expect(q.queuedFrames).toBe(15);
    expect(q.stats.peakQueuedFrames).toBe(15);
  });

  it('resumes writing when an earlier write completes', () => {
    const socket = fakeSocket();
    const q = new OutboundQueue(
      socket.ws,
      { capacityMs: 1000, frameMs: 20, socketHighWaterBytes: 1000 },
      () => {},
    );
    q.push(frame(1), 0);
    socket.block(5000);
    q.push(frame(2), 0);
    expect(socket.sent).toHaveLength(1);
    socket.drain(); // completes frame 1 → the queue flushes frame 2
    expect(socket.sent).toHaveLength(2);
  });

  it('sends nothing after close', () => {
    const socket = fakeSocket();
    const q = new OutboundQueue(
      socket.ws,
      { capacityMs: 100, frameMs: 20, socketHighWaterBytes: 1000 },
      () => {},
    );
    q.close();
    q.push(frame(1), 0);
    expect(socket.sent).toHaveLength(0);
  });
});
