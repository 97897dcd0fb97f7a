/**
 * Friendly names for the generated protobuf.js classes and enums (src/protocol/gen, built from
 * proto/ by scripts/gen-proto.mjs). Field names are camelCase (`roomId`, `peerType`); every
 * message with a `content` oneof exposes it as a virtual property naming the set member.
 * Enums are numeric, exactly like the ts-proto enums of the official SDKs.
 */
import { fishjam } from './gen/fishjam.js';

export { fishjam };

// Top-level frames of the three WebSocket protocols.
export import ServerMessage = fishjam.ServerMessage;
export import AgentRequest = fishjam.AgentRequest;
export import AgentResponse = fishjam.AgentResponse;
export import PeerMessage = fishjam.PeerMessage;
/** Client -> server signaling (`fishjam.media_events.peer.MediaEvent`). */
export import PeerMediaEvent = fishjam.media_events.peer.MediaEvent;
/** Server -> client signaling (`fishjam.media_events.server.MediaEvent`). */
export import ServerMediaEvent = fishjam.media_events.server.MediaEvent;

// Shared messages and enums.
export import Track = fishjam.notifications.Track;
export import TrackType = fishjam.notifications.TrackType;
export import TrackEncoding = fishjam.notifications.TrackEncoding;
export import PeerType = fishjam.ServerMessage.PeerType;
export import EventType = fishjam.ServerMessage.EventType;
export import RoomType = fishjam.PeerMessage.RoomType;
export import Candidate = fishjam.media_events.Candidate;
export import Variant = fishjam.media_events.Variant;

// Plain-object ("properties") shapes accepted by create()/encode().
export type IServerMessage = fishjam.IServerMessage;
export type IAgentRequest = fishjam.IAgentRequest;
export type IAgentResponse = fishjam.IAgentResponse;
export type IPeerMessage = fishjam.IPeerMessage;
export type IPeerMediaEvent = fishjam.media_events.peer.IMediaEvent;
export type IServerMediaEvent = fishjam.media_events.server.IMediaEvent;
export type ITrack = fishjam.notifications.ITrack;
export type ICandidate = fishjam.media_events.ICandidate;
