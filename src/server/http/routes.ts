import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ShoalError } from '../../protocol/index.js';
import { safeEqualSecret } from '../auth/index.js';
import type { RoomService } from '../rooms/index.js';
import { peerJson, roomJson } from './serialize.js';
import { parsePeerRequest, parsePublisherId, parseRoomConfig, parseTrackIds } from './validate.js';

export interface RestOptions {
  rooms: RoomService;
  managementToken: string;
  /** `ws(s)://host:port` the peers should dial. */
  publicWsUrl: () => string;
  /** `host:port` shown as `fishjam_address`. */
  publicAddress: () => string;
}

type RoomParams = { roomId: string };
type PeerParams = { roomId: string; peerId: string };

function authorize(request: FastifyRequest, managementToken: string): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new ShoalError('UNAUTHORIZED', 'Missing token');
  }
  if (!safeEqualSecret(match[1], managementToken)) {
    throw new ShoalError('UNAUTHORIZED', 'Invalid token');
  }
}

/**
 * Fishjam's REST API as js-server-sdk 0.25 calls it (fishjam-protocol.md §2.3). Registered
 * twice by the app: at the root and under `/api/v1/connect/:fishjamId`.
 */
export function restRoutes(options: RestOptions): FastifyPluginAsync {
  const { rooms } = options;
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => authorize(request, options.managementToken));

    app.post('/room', async (request, reply) => {
      const room = await rooms.createRoom(parseRoomConfig(request.body));
      return reply
        .code(201)
        .send({ data: { room: roomJson(room), fishjam_address: options.publicAddress() } });
    });

    app.get('/room', async () => ({ data: (await rooms.listRooms()).map(roomJson) }));

    app.get<{ Params: RoomParams }>('/room/:roomId', async (request) => ({
      data: roomJson(await rooms.getRoom(request.params.roomId)),
    }));

    app.delete<{ Params: RoomParams }>('/room/:roomId', async (request, reply) => {
      await rooms.deleteRoom(request.params.roomId);
      return reply.code(204).send();
    });

    app.post<{ Params: RoomParams }>('/room/:roomId/peer', async (request, reply) => {
      const spec = parsePeerRequest(request.body);
      const { peer, token } = await rooms.addPeer(request.params.roomId, spec);
      return reply.code(201).send({
        data: {
          peer: peerJson(peer),
          token,
          peer_websocket_url: `${options.publicWsUrl()}/socket/peer/websocket`,
        },
      });
    });

    app.delete<{ Params: PeerParams }>('/room/:roomId/peer/:peerId', async (request, reply) => {
      await rooms.deletePeer(request.params.roomId, request.params.peerId);
      return reply.code(204).send();
    });

    app.post<{ Params: PeerParams }>(
      '/room/:roomId/peer/:peerId/refresh_token',
      async (request, reply) => {
        const token = await rooms.refreshToken(request.params.roomId, request.params.peerId);
        return reply.code(201).send({ data: { token } });
      },
    );

    app.post<{ Params: PeerParams }>(
      '/room/:roomId/peer/:peerId/subscribe_peer',
      async (request, reply) => {
        const publisherId = parsePublisherId(request.query);
        await rooms.subscribePeer(request.params.roomId, request.params.peerId, publisherId);
        return reply.code(200).send();
      },
    );

    app.post<{ Params: PeerParams }>(
      '/room/:roomId/peer/:peerId/subscribe_tracks',
      async (request, reply) => {
        const trackIds = parseTrackIds(request.body);
        await rooms.subscribeTracks(request.params.roomId, request.params.peerId, trackIds);
        return reply.code(200).send();
      },
    );

    for (const kind of ['viewer', 'streamer'] as const) {
      app.post<{ Params: RoomParams }>(`/room/:roomId/${kind}`, async (request, reply) => {
        const token = await rooms.livestreamToken(request.params.roomId, kind);
        return reply.code(201).send({ token });
      });
    }
  };
}
