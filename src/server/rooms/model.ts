/**
 * Control-plane records: plain, JSON-serialisable data so a shared store (Redis) can hold them.
 * Live objects (sockets, peer connections, media) stay in the process that owns them.
 */
export const ROOM_TYPES = [
  'conference',
  'audio_only',
  'livestream',
  'audio_only_livestream',
  'full_feature',
  'broadcaster',
] as const;
export type RoomType = (typeof ROOM_TYPES)[number];

export type VideoCodec = 'h264' | 'vp8';
export type PeerType = 'webrtc' | 'agent';
export type PeerStatus = 'connected' | 'disconnected';
export type SubscribeMode = 'auto' | 'manual';
export type TrackKind = 'audio' | 'video';
export type AgentSampleRate = 16000 | 24000;

export interface RoomConfig {
  maxPeers: number | null;
  public: boolean;
  roomType: RoomType;
  videoCodec: VideoCodec;
  webhookUrl: string | null;
}

export interface TrackRecord {
  id: string;
  type: TrackKind;
  /** Parsed JSON metadata (or the raw string when it was not JSON). */
  metadata: unknown;
}

export interface AgentOutput {
  audioFormat: 'pcm16';
  audioSampleRate: AgentSampleRate;
}

export interface PeerRecord {
  id: string;
  roomId: string;
  type: PeerType;
  status: PeerStatus;
  /** Server-side metadata given at creation (REST `Peer.metadata`, endpoint metadata `server`). */
  metadata: Record<string, unknown> | null;
  /** Metadata the client sent in `connect` / `update_endpoint_metadata` (endpoint metadata `peer`). */
  clientMetadata: unknown;
  subscribeMode: SubscribeMode;
  subscriptions: { peers: string[]; tracks: string[] };
  tracks: TrackRecord[];
  /** Bumped by refresh_token; older tokens stop authenticating new sockets. */
  tokenGeneration: number;
  agentOutput: AgentOutput | null;
}

export interface RoomRecord {
  id: string;
  config: RoomConfig;
  peers: PeerRecord[];
  createdAtMs: number;
}

/** What Fishjam's ts-client calls the room type (PeerMessage.RoomType numbers). */
export function clientRoomType(type: RoomType): 1 | 2 | 3 {
  switch (type) {
    case 'audio_only':
      return 2;
    case 'livestream':
    case 'broadcaster':
    case 'audio_only_livestream':
      return 3;
    default:
      return 1;
  }
}

export function isLivestream(type: RoomType): boolean {
  return clientRoomType(type) === 3;
}

export function allowsVideo(type: RoomType): boolean {
  return type !== 'audio_only' && type !== 'audio_only_livestream';
}
