import type { PeerRecord, RoomRecord } from '../rooms/index.js';

/** REST `Room` JSON (camelCase model properties, as Fishjam's OpenAPI). */
export function roomJson(room: RoomRecord): Record<string, unknown> {
  return { id: room.id, config: room.config, peers: room.peers.map(peerJson) };
}

/** REST `Peer` JSON. */
export function peerJson(peer: PeerRecord): Record<string, unknown> {
  return {
    id: peer.id,
    type: peer.type,
    status: peer.status,
    tracks: peer.tracks.map((t) => ({ id: t.id, type: t.type, metadata: t.metadata ?? null })),
    metadata: peer.metadata,
    subscribeMode: peer.subscribeMode,
    subscriptions: { peers: peer.subscriptions.peers, tracks: peer.subscriptions.tracks },
  };
}
