import { ServerMessage, TypedEmitter, type IServerMessage } from '../../protocol/index.js';

/** The server notifications a room emits (the 0.25 SDKs know every one of these). */
export type NotificationKind =
  | 'roomCreated'
  | 'roomDeleted'
  | 'roomCrashed'
  | 'peerAdded'
  | 'peerDeleted'
  | 'peerConnected'
  | 'peerDisconnected'
  | 'peerCrashed'
  | 'peerMetadataUpdated'
  | 'trackAdded'
  | 'trackRemoved'
  | 'trackMetadataUpdated';

export type NotificationBody<K extends NotificationKind> = NonNullable<IServerMessage[K]> & {
  roomId: string;
};

export interface Notification<K extends NotificationKind = NotificationKind> {
  readonly kind: K;
  readonly roomId: string;
  readonly body: NotificationBody<K>;
  /** The room's webhook receiver, if it has one. */
  readonly webhookUrl: string | null;
  /** The encoded `ServerMessage`, computed once however many sockets and webhooks send it. */
  bytes(): Uint8Array;
}

interface BusEvents extends Record<string, unknown[]> {
  notification: [Notification];
  /** A room is gone: its last notification (roomDeleted) has been published. */
  roomClosed: [string];
}

/**
 * One ordered stream of room and peer lifecycle events. Publishing is synchronous, so every
 * subscriber (notifier sockets, webhooks, peer sockets) sees a room's events in the order the
 * changes happened.
 */
export class NotificationBus extends TypedEmitter<BusEvents> {
  publish<K extends NotificationKind>(
    kind: K,
    body: NotificationBody<K>,
    webhookUrl: string | null,
  ): void {
    let encoded: Uint8Array | undefined;
    const notification: Notification<K> = {
      kind,
      roomId: body.roomId,
      body,
      webhookUrl,
      bytes: () => (encoded ??= ServerMessage.encode({ [kind]: body }).finish()),
    };
    this.emit('notification', notification as Notification);
  }

  roomClosed(roomId: string): void {
    this.emit('roomClosed', roomId);
  }
}
