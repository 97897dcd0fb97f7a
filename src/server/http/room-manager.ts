import type { FastifyPluginAsync } from 'fastify';
import { ShoalError } from '../../protocol/index.js';
import type { RoomService, RoomType } from '../rooms/index.js';

export interface RoomManagerOptions {
  rooms: RoomService;
  /** `ws(s)://host:port` peers dial (the answer's `url`). */
  publicWsUrl: () => string;
  /** Called after a peer was created, e.g. to put an agent in the room (demo mode). */
  onPeerCreated?: (context: {
    roomId: string;
    roomName: string;
    roomType: string;
    peerId: string;
    query: Record<string, string | undefined>;
  }) => void | Promise<void>;
}

const ROOM_TYPES: Record<string, RoomType> = {
  conference: 'conference',
  audio_only: 'audio_only',
  livestream: 'livestream',
};

const NAME = /^[\w .:-]{1,64}$/;
/** Names remembered at most; the oldest is forgotten first (its room stays until deleted). */
const MAX_NAMES = 10_000;

/**
 * A room manager compatible with Fishjam's sandbox API (fishjam-protocol.md §2.6), for
 * development and the demo: `GET /room-manager?roomName=&peerName=&roomType=` creates the room
 * on first use and a peer in it, and answers `{peerToken, url, room, peer}`. No authentication:
 * it is off unless the server runs in demo mode.
 */
export function roomManagerRoutes(options: RoomManagerOptions): FastifyPluginAsync {
  const byName = new Map<string, string>();
  return async (app) => {
    app.get('/room-manager', async (request) => {
      const query = request.query as Record<string, string | undefined>;
      const roomName = query['roomName'] ?? '';
      const peerName = query['peerName'] ?? '';
      const roomType = ROOM_TYPES[query['roomType'] ?? 'conference'];
      if (!NAME.test(roomName) || !NAME.test(peerName)) {
        throw new ShoalError(
          'BAD_REQUEST',
          'roomName and peerName must be 1–64 letters, digits, spaces or .:-_',
        );
      }
      if (!roomType) {
        throw new ShoalError(
          'BAD_REQUEST',
          'roomType must be conference, audio_only or livestream',
        );
      }
      let roomId = byName.get(roomName);
      if (roomId) {
        const existing = await options.rooms.getRoom(roomId).catch(() => undefined);
        if (!existing) {
          roomId = undefined;
        }
      }
      if (!roomId) {
        const room = await options.rooms.createRoom({
          maxPeers: null,
          public: false,
          roomType,
          videoCodec: 'h264',
          webhookUrl: null,
        });
        roomId = room.id;
        byName.delete(roomName);
        byName.set(roomName, roomId);
        if (byName.size > MAX_NAMES) {
          byName.delete(byName.keys().next().value as string);
        }
      }
      const { peer, token } = await options.rooms.addPeer(roomId, {
        type: 'webrtc',
        metadata: { name: peerName },
        subscribeMode: 'auto',
        agentOutput: null,
      });
      await options.onPeerCreated?.({ roomId, roomName, roomType, peerId: peer.id, query });
      return {
        peerToken: token,
        url: options.publicWsUrl(),
        room: { id: roomId, name: roomName, type: roomType },
        peer: { id: peer.id, name: peerName },
      };
    });
  };
}
