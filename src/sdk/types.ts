/** REST shapes of the Fishjam 0.25 API (fishjam-protocol.md §2.4). */
export type RoomType =
  | 'conference'
  | 'audio_only'
  | 'livestream'
  | 'audio_only_livestream'
  | 'full_feature'
  | 'broadcaster';
export type PeerType = 'webrtc' | 'agent';
export type PeerStatus = 'connected' | 'disconnected';
export type SubscribeMode = 'auto' | 'manual';
export type AgentSampleRate = 16000 | 24000;

export interface Track {
  id: string;
  type: 'audio' | 'video';
  metadata: unknown;
}

export interface Peer {
  id: string;
  type: PeerType;
  status: PeerStatus;
  tracks: Track[];
  metadata: Record<string, unknown> | null;
  subscribeMode: SubscribeMode;
  subscriptions: { peers: string[]; tracks: string[] };
}

export interface RoomConfig {
  maxPeers?: number | null;
  public?: boolean;
  roomType?: RoomType;
  videoCodec?: 'h264' | 'vp8';
  webhookUrl?: string | null;
}

export interface Room {
  id: string;
  config: RoomConfig & { roomType: RoomType };
  peers: Peer[];
}

export interface WebRtcPeerOptions {
  metadata?: Record<string, unknown>;
  subscribeMode?: SubscribeMode;
}

export interface AgentPeerOptions {
  /** The audio the agent hears: PCM16 mono at this rate (Fishjam default 16000). */
  output?: { audioFormat?: 'pcm16'; audioSampleRate?: AgentSampleRate };
  subscribeMode?: SubscribeMode;
}
