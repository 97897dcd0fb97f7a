import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { FishjamClient, ServerMessage as SdkServerMessage } from '@fishjam-cloud/js-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startShoal, type RunningShoal } from './helpers/server.js';

interface Received {
  contentType: string | undefined;
  signature: string | undefined;
  raw: Buffer;
  event: string;
  body: Record<string, unknown>;
}

/** A real HTTP receiver; `respond` decides each answer (status, or 'hang'). */
async function receiver(respond: (n: number, req: IncomingMessage) => number | 'hang'): Promise<{
  url: string;
  received: Received[];
  attempts: () => number;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts += 1;
      const answer = respond(attempts, req);
      if (answer === 'hang') {
        return;
      }
      if (answer < 300) {
        const raw = Buffer.concat(chunks);
        const decoded = SdkServerMessage.decode(raw) as unknown as Record<string, unknown>;
        const [event, body] = Object.entries(decoded).find(([, v]) => v) ?? ['?', {}];
        received.push({
          contentType: req.headers['content-type'],
          signature: req.headers['x-fishjam-signature-256'] as string | undefined,
          raw,
          event,
          body: body as Record<string, unknown>,
        });
      }
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    attempts: () => attempts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    await c();
  }
});

async function shoalWith(overrides: Parameters<typeof startShoal>[0] = {}): Promise<RunningShoal> {
  const shoal = await startShoal({
    webhook: { queueCapacity: 64, maxRetries: 4, retryBaseDelayMs: 20, requestTimeoutMs: 3000 },
    ...overrides,
  });
  cleanups.push(() => shoal.close());
  return shoal;
}

describe('webhooks', () => {
  it('POSTs one protobuf ServerMessage per event, in order, signed when a secret is set', async () => {
    const hook = await receiver(() => 200);
    cleanups.push(hook.close);
    const shoal = await shoalWith({ webhookSecret: 'hook-secret' });
    const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });

    const room = await fishjam.createRoom({ webhookUrl: hook.url });
    const { peer } = await fishjam.createPeer(room.id);
    await fishjam.deletePeer(room.id, peer.id);
    await fishjam.deleteRoom(room.id);

    await eventually(() => (hook.received.length >= 4 ? true : undefined));
    expect(hook.received.map((r) => r.event)).toEqual([
      'roomCreated',
      'peerAdded',
      'peerDeleted',
      'roomDeleted',
    ]);
    expect(hook.received[1]?.body).toMatchObject({ roomId: room.id, peerId: peer.id, peerType: 1 });
    for (const r of hook.received) {
      expect(r.contentType).toBe('application/x-protobuf');
      const mac = createHmac('sha256', 'hook-secret').update(r.raw).digest('hex');
      expect(r.signature).toBe(`sha256=${mac}`);
    }
  });

  it('retries a receiver that fails twice; events still arrive, in order', async () => {
    const hook = await receiver((n) => (n <= 2 ? 500 : 200));
    cleanups.push(hook.close);
    const shoal = await shoalWith();
    const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
    const room = await fishjam.createRoom({ webhookUrl: hook.url });
    const peers = [];
    for (let i = 0; i < 3; i += 1) {
      peers.push((await fishjam.createPeer(room.id)).peer.id);
    }
    await eventually(() => (hook.received.length >= 4 ? true : undefined));
    expect(hook.attempts()).toBe(6);
    expect(hook.received.map((r) => r.event)).toEqual([
      'roomCreated',
      'peerAdded',
      'peerAdded',
      'peerAdded',
    ]);
    expect(hook.received.slice(1).map((r) => r.body['peerId'])).toEqual(peers);
    expect(shoal.server.webhooks.stats).toMatchObject({ delivered: 4, failed: 0, retries: 2 });
  });

  it('a hanging receiver never blocks the room, other rooms, or memory', async () => {
    const dead = await receiver(() => 'hang');
    const alive = await receiver(() => 200);
    cleanups.push(dead.close, alive.close);
    const shoal = await shoalWith({
      webhook: { queueCapacity: 4, maxRetries: 1, retryBaseDelayMs: 10, requestTimeoutMs: 100 },
    });
    const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });

    const stuck = await fishjam.createRoom({ webhookUrl: dead.url });
    const started = Date.now();
    for (let i = 0; i < 20; i += 1) {
      await fishjam.createPeer(stuck.id);
    }
    // REST never waited on the receiver.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(shoal.server.webhooks.queuedEvents).toBeLessThanOrEqual(4);
    expect(shoal.server.webhooks.stats.overflowDropped).toBeGreaterThan(0);

    const fine = await fishjam.createRoom({ webhookUrl: alive.url });
    await eventually(() =>
      alive.received.some((r) => r.body['roomId'] === fine.id) ? true : undefined,
    );
    expect((await fishjam.getRoom(stuck.id)).peers).toHaveLength(20);
  });
});
