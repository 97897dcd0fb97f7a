/**
 * Binary frame codecs. Every Fishjam WebSocket frame is exactly one protobuf message, with no
 * length prefix (fishjam-protocol.md §1). Decoders turn malformed input into a coded
 * `ShoalError('BAD_REQUEST')`; encoders trust their (typed) input and do not verify it.
 */
import { ShoalError } from './errors.js';
import {
  AgentRequest,
  AgentResponse,
  type PeerMediaEvent,
  PeerMessage,
  type ServerMediaEvent,
  ServerMessage,
  type IAgentRequest,
  type IAgentResponse,
  type IPeerMediaEvent,
  type IPeerMessage,
  type IServerMediaEvent,
  type IServerMessage,
} from './messages.js';

/** What a WebSocket library hands over for one binary frame (a Node Buffer is a Uint8Array). */
export type Frame = Uint8Array | ArrayBuffer;

function decodeFrame<M>(type: { decode(bytes: Uint8Array): M }, what: string, frame: Frame): M {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  try {
    return type.decode(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ShoalError('BAD_REQUEST', `malformed ${what} frame: ${reason}`, { cause: err });
  }
}

/** Notifier socket, SDK -> server. */
export function decodeServerMessage(frame: Frame): ServerMessage {
  return decodeFrame(ServerMessage, 'ServerMessage', frame);
}

/** Agent socket, agent -> server. */
export function decodeAgentRequest(frame: Frame): AgentRequest {
  return decodeFrame(AgentRequest, 'AgentRequest', frame);
}

/** Agent socket, server -> agent (used by test clients). */
export function decodeAgentResponse(frame: Frame): AgentResponse {
  return decodeFrame(AgentResponse, 'AgentResponse', frame);
}

/** Peer socket, both directions. */
export function decodePeerMessage(frame: Frame): PeerMessage {
  return decodeFrame(PeerMessage, 'PeerMessage', frame);
}

export function encodeServerMessage(message: IServerMessage): Uint8Array {
  return ServerMessage.encode(message).finish();
}

export function encodeAgentRequest(message: IAgentRequest): Uint8Array {
  return AgentRequest.encode(message).finish();
}

export function encodeAgentResponse(message: IAgentResponse): Uint8Array {
  return AgentResponse.encode(message).finish();
}

export function encodePeerMessage(message: IPeerMessage): Uint8Array {
  return PeerMessage.encode(message).finish();
}

/** Messages whose every field belongs to their one `content` oneof: class instances (what the
 * decoders return) or plain objects (what nested members such as `peerMediaEvent` are typed as). */
export type ContentMessage =
  | ServerMessage
  | AgentRequest
  | AgentResponse
  | PeerMessage
  | PeerMediaEvent
  | ServerMediaEvent
  | IServerMessage
  | IAgentRequest
  | IAgentResponse
  | IPeerMessage
  | IPeerMediaEvent
  | IServerMediaEvent;

/** The `content` member names of a message type, e.g. `'authRequest' | 'addTrack' | ...`. */
export type VariantOf<M> = M extends { content?: infer V }
  ? NonNullable<V>
  : Extract<keyof M, string>;

/**
 * The set member of a message's `content` oneof (e.g. `'authRequest'`), or undefined when none
 * is: an empty frame, or one carrying only field numbers this protocol version does not know.
 */
export function variantOf<M extends ContentMessage>(message: M): VariantOf<M> | undefined {
  if ('content' in message) {
    return (message.content ?? undefined) as VariantOf<M> | undefined;
  }
  const set = Object.entries(message).find(([, value]) => value != null);
  return set?.[0] as VariantOf<M> | undefined;
}
