import {
  FishjamClient,
  FishjamWSNotifier,
  ServerMessage as SdkServerMessage,
} from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ServerMessage } from '../src/protocol/index.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
beforeAll(async () => {
  shoal = await startShoal();
});
afterAll(() => shoal.close());

interface Seen {
  name: string;
  body: Record<string, unknown>;
}

function listen(
  fishjamId: string,
  token: string,
): { notifier: FishjamWSNotifier; seen: Seen[]; closed: { code?: number; reason?: string } } {
  const seen: Seen[] = [];
  const closed: { code?: number; reason?: string } = {};
  const notifier = new FishjamWSNotifier(
    { fishjamId, managementToken: token },
    () => {},
    (code, reason) => {
      closed.code = code;
      closed.reason = reason;
    },
  );
  for (const name of [
    'roomCreated',
    'roomDeleted',
    'peerAdded',
    'peerDeleted',
    'peerConnected',
  ] as const) {
    notifier.on(name, (body: unknown) =>
      seen.push({ name, body: body as Record<string, unknown> }),
    );
  }
  return { notifier, seen, closed };
}

/** Raw client: connects, sends frames, collects decoded replies and the close. */
async function rawSocket(url: string): Promise<{
  ws: WebSocket;
  replies: ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(url);
  const replies: ServerMessage[] = [];
  ws.on('message', (data) => replies.push(ServerMessage.decode(data as Buffer)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, replies, closed };
}

const frame = (m: Parameters<typeof ServerMessage.encode>[0]): Uint8Array =>
  ServerMessage.encode(m).finish();

describe('notifier socket', () => {
  it.each([
    ['bare origin', () => shoal.origin],
    ['prefix', () => shoal.prefixed],
  ])(
    'delivers roomCreated, peerAdded, peerDeleted, roomDeleted in order to FishjamWSNotifier (%s)',
    async (_l, id) => {
      const { notifier, seen } = listen(id(), shoal.token);
      await eventually(() => (shoal.server.notifier.sessionCount > 0 ? true : undefined));
      // Wait until the subscription is live: a room created now must be seen.
      const fishjam = new FishjamClient({ fishjamId: id(), managementToken: shoal.token });
      await eventually(async () => {
        const probe = await fishjam.createRoom();
        await fishjam.deleteRoom(probe.id);
        await new Promise((r) => setTimeout(r, 20));
        return seen.some((s) => s.body['roomId'] === probe.id) ? true : undefined;
      });
      seen.length = 0;

      const room = await fishjam.createRoom();
      const { peer } = await fishjam.createPeer(room.id);
      await fishjam.deletePeer(room.id, peer.id);
      await fishjam.deleteRoom(room.id);

      await eventually(() => (seen.length >= 4 ? true : undefined));
      expect(seen.map((s) => s.name)).toEqual([
        'roomCreated',
        'peerAdded',
        'peerDeleted',
        'roomDeleted',
      ]);
      expect(seen[1]?.body).toMatchObject({ roomId: room.id, peerId: peer.id, peerType: 1 });
      expect(seen[3]?.body).toMatchObject({ roomId: room.id });
      (notifier as unknown as { client: WebSocket }).client.close();
    },
  );

  it('answers Authenticated then SubscribeResponse before any notification', async () => {
    const { ws, replies } = await rawSocket(
      `${shoal.origin.replace('http', 'ws')}/socket/server/websocket`,
    );
    ws.send(frame({ authRequest: { token: shoal.token } }));
    ws.send(frame({ subscribeRequest: { eventType: 1 } }));
    // A notification produced right away must come after the handshake replies.
    const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
    const room = await fishjam.createRoom();
    await eventually(() => (replies.length >= 3 ? true : undefined));
    expect(replies[0]?.authenticated).toBeDefined();
    expect(replies[1]?.subscribeResponse?.eventType).toBe(1);
    expect(replies.slice(2).some((r) => r.roomCreated?.roomId === room.id)).toBe(true);
    // The official SDK decodes what we send.
    expect(
      SdkServerMessage.decode(ServerMessage.encode(replies[1]!).finish()).subscribeResponse,
    ).toEqual({ eventType: 1 });
    ws.close();
    await fishjam.deleteRoom(room.id);
  });

  it.each([
    ['a wrong token', [frame({ authRequest: { token: 'nope' } })], 1000, 'invalid token'],
    [
      'a subscribe before auth',
      [frame({ subscribeRequest: { eventType: 1 } })],
      1000,
      'invalid auth request',
    ],
    ['garbage bytes', [new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x22])], 1007, 'malformed message'],
    [
      'a second auth',
      [
        frame({ authRequest: { token: 'test-management-token' } }),
        frame({ authRequest: { token: 'test-management-token' } }),
      ],
      1003,
      'operation not allowed',
    ],
  ])(
    'closes the socket on %s with a reason, and others keep working',
    async (_label, frames, code, reason) => {
      const healthy = await rawSocket(
        `${shoal.origin.replace('http', 'ws')}/socket/server/websocket`,
      );
      healthy.ws.send(frame({ authRequest: { token: shoal.token } }));
      healthy.ws.send(frame({ subscribeRequest: { eventType: 1 } }));
      await eventually(() => (healthy.replies.length >= 2 ? true : undefined));

      const bad = await rawSocket(`${shoal.origin.replace('http', 'ws')}//socket/server/websocket`);
      for (const f of frames) {
        bad.ws.send(f);
      }
      expect(await bad.closed).toEqual({ code, reason });

      const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
      const room = await fishjam.createRoom();
      await eventually(() =>
        healthy.replies.some((r) => r.roomCreated?.roomId === room.id) ? true : undefined,
      );
      healthy.ws.close();
      await fishjam.deleteRoom(room.id);
    },
  );

  it('rejects a wrong token through the SDK with the close reason', async () => {
    const { closed } = listen(shoal.origin, 'wrong');
    await eventually(() => closed.reason);
    expect(closed).toEqual({ code: 1000, reason: 'invalid token' });
  });

  it('closes sockets that never authenticate', async () => {
    const quick = await startShoal({ wsAuthTimeoutMs: 100 });
    try {
      const { closed } = await rawSocket(
        `${quick.origin.replace('http', 'ws')}/socket/server/websocket`,
      );
      expect(await closed).toEqual({ code: 1008, reason: 'authentication timeout' });
    } finally {
      await quick.close();
    }
  });

  it('refuses unknown socket paths', async () => {
    const ws = new WebSocket(`${shoal.origin.replace('http', 'ws')}/socket/nope/websocket`);
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toMatch(/404/);
  });
});
