import {
  TypedEmitter,
  encodeNotification,
  type NotificationName,
  type NotificationPayloads,
  type ServerNotification,
} from '../../protocol/index.js';

/** The notifications that belong to a room (their payload carries `roomId`). */
export type NotificationKind = {
  [K in NotificationName]: NotificationPayloads[K] extends { roomId: string } ? K : never;
}[NotificationName];

export type NotificationBody<K extends NotificationKind> = NotificationPayloads[K];

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
      bytes: () =>
        (encoded ??= encodeNotification({ type: kind, payload: body } as ServerNotification)),
    };
    this.emit('notification', notification as Notification);
  }

  roomClosed(roomId: string): void {
    this.emit('roomClosed', roomId);
  }
}
