/**
 * Typed view of the server notifications (the non-control `ServerMessage.content` members),
 * for a server-side event bus, the notifier socket and webhooks.
 */
import { encodeServerMessage } from './codec.js';
import { ServerMessage, type IServerMessage } from './messages.js';

/** Every member of `ServerMessage.content`. */
export type ServerMessageVariant = NonNullable<ServerMessage['content']>;

/** Handshake members of `ServerMessage.content`; everything else is a notification. */
export type ControlVariant =
  'authenticated' | 'authRequest' | 'subscribeRequest' | 'subscribeResponse';

export type NotificationName = Exclude<ServerMessageVariant, ControlVariant>;

/** A generated message class minus its methods and virtual oneof discriminator: plain data. */
type Payload<C> = Omit<
  { [K in keyof C as C[K] extends (...args: never[]) => unknown ? never : K]: C[K] },
  'endpointInfo'
>;

/** Payload type of each notification. Scalars are required; `peerId`/`componentId` of the
 * `endpoint_info` oneof (track*, channel*) are optional, set exactly one. */
export interface NotificationPayloads {
  roomCrashed: Payload<ServerMessage.RoomCrashed>;
  peerConnected: Payload<ServerMessage.PeerConnected>;
  peerDisconnected: Payload<ServerMessage.PeerDisconnected>;
  peerCrashed: Payload<ServerMessage.PeerCrashed>;
  componentCrashed: Payload<ServerMessage.ComponentCrashed>;
  roomCreated: Payload<ServerMessage.RoomCreated>;
  roomDeleted: Payload<ServerMessage.RoomDeleted>;
  hlsPlayable: Payload<ServerMessage.HlsPlayable>;
  hlsUploaded: Payload<ServerMessage.HlsUploaded>;
  hlsUploadCrashed: Payload<ServerMessage.HlsUploadCrashed>;
  peerMetadataUpdated: Payload<ServerMessage.PeerMetadataUpdated>;
  trackAdded: Payload<ServerMessage.TrackAdded>;
  trackRemoved: Payload<ServerMessage.TrackRemoved>;
  trackMetadataUpdated: Payload<ServerMessage.TrackMetadataUpdated>;
  peerAdded: Payload<ServerMessage.PeerAdded>;
  peerDeleted: Payload<ServerMessage.PeerDeleted>;
  streamConnected: Payload<ServerMessage.StreamConnected>;
  streamDisconnected: Payload<ServerMessage.StreamDisconnected>;
  viewerConnected: Payload<ServerMessage.ViewerConnected>;
  viewerDisconnected: Payload<ServerMessage.ViewerDisconnected>;
  streamerConnected: Payload<ServerMessage.StreamerConnected>;
  streamerDisconnected: Payload<ServerMessage.StreamerDisconnected>;
  channelAdded: Payload<ServerMessage.ChannelAdded>;
  channelRemoved: Payload<ServerMessage.ChannelRemoved>;
}

// Compile-time proof that NotificationPayloads lists exactly the notification variants.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _payloadsCoverVariants: Same<keyof NotificationPayloads, NotificationName> = true;
void _payloadsCoverVariants;

/** Discriminated union: `{ type: 'peerAdded', payload: { roomId, peerId, peerType } }`, ... */
export type ServerNotification = {
  [K in NotificationName]: { readonly type: K; readonly payload: NotificationPayloads[K] };
}[NotificationName];

/** Event map for a `TypedEmitter`: one event per notification, its payload as the argument. */
export type NotificationEvents = { [K in NotificationName]: [payload: NotificationPayloads[K]] };

export function notificationToServerMessage(notification: ServerNotification): ServerMessage {
  const properties: IServerMessage = { [notification.type]: notification.payload };
  return ServerMessage.create(properties);
}

export function encodeNotification(notification: ServerNotification): Uint8Array {
  return encodeServerMessage({ [notification.type]: notification.payload });
}
