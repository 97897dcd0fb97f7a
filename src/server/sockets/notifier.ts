import type { RawData, WebSocket } from 'ws';
import { EventType, ServerMessage, decodeServerMessage, variantOf } from '../../protocol/index.js';
import { safeEqualSecret } from '../auth/index.js';
import type { Logger } from '../logger.js';
import type { Notification, NotificationBus } from '../notifications/index.js';
import { toBytes } from './frames.js';
import { keepAlive } from './keepalive.js';
import type { SocketRoute } from './upgrade.js';

export interface NotifierOptions {
  bus: NotificationBus;
  managementToken: string;
  pingIntervalMs: number;
  authTimeoutMs: number;
  log: Logger;
}

/** Close codes and reasons (Fishjam's, where it has one: fishjam-protocol.md §3.1). */
export const NotifierClose = {
  invalidToken: [1000, 'invalid token'],
  invalidAuthRequest: [1000, 'invalid auth request'],
  notAllowed: [1003, 'operation not allowed'],
  malformed: [1007, 'malformed message'],
  authTimeout: [1008, 'authentication timeout'],
  backlog: [1008, 'notification backlog too large'],
  shutdown: [1001, 'server shutting down'],
} as const satisfies Record<string, readonly [number, string]>;

/** A subscriber that falls this far behind (bytes unsent) is closed rather than buffered. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

type State = 'awaitingAuth' | 'authenticated' | 'subscribed' | 'closed';

/**
 * `/socket/server/websocket`: AuthRequest → Authenticated → SubscribeRequest →
 * SubscribeResponse → notifications. Nothing is pushed before SubscribeResponse.
 */
export class NotifierSockets {
  readonly #options: NotifierOptions;
  readonly #log: Logger;
  readonly #sessions = new Set<NotifierSession>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: NotifierOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'notifier' });
    this.#unsubscribe = options.bus.on('notification', (n) => this.#broadcast(n));
  }

  route(): SocketRoute {
    return {
      path: '/socket/server/websocket',
      maxPayloadBytes: 64 * 1024,
      onConnection: (ws) => this.#accept(ws),
    };
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#unsubscribe();
    for (const session of [...this.#sessions]) {
      session.close(NotifierClose.shutdown);
    }
  }

  #accept(ws: WebSocket): void {
    if (this.#closed) {
      ws.close(...NotifierClose.shutdown);
      return;
    }
    const session = new NotifierSession(ws, this.#options, this.#log, () =>
      this.#sessions.delete(session),
    );
    this.#sessions.add(session);
  }

  #broadcast(n: Notification): void {
    for (const session of this.#sessions) {
      session.deliver(n);
    }
  }
}

class NotifierSession {
  #state: State = 'awaitingAuth';
  readonly #ws: WebSocket;
  readonly #options: NotifierOptions;
  readonly #log: Logger;
  readonly #onClosed: () => void;
  readonly #authTimer: NodeJS.Timeout;

  constructor(ws: WebSocket, options: NotifierOptions, log: Logger, onClosed: () => void) {
    this.#ws = ws;
    this.#options = options;
    this.#log = log;
    this.#onClosed = onClosed;
    keepAlive(ws, options.pingIntervalMs);
    this.#authTimer = setTimeout(
      () => this.close(NotifierClose.authTimeout),
      options.authTimeoutMs,
    );
    this.#authTimer.unref();
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', (err) => this.#log.debug({ err }, 'notifier socket error'));
    ws.on('close', () => this.#teardown());
  }

  deliver(n: Notification): void {
    if (this.#state !== 'subscribed') {
      return;
    }
    if (this.#ws.bufferedAmount > MAX_BACKLOG_BYTES) {
      this.#log.warn('notifier subscriber too slow; closing it');
      this.close(NotifierClose.backlog);
      return;
    }
    this.#ws.send(n.bytes());
  }

  close([code, reason]: readonly [number, string]): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#ws.close(code, reason);
    this.#teardown();
  }

  #teardown(): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#state = 'closed';
    clearTimeout(this.#authTimer);
    this.#onClosed();
  }

  #send(message: Parameters<typeof ServerMessage.encode>[0]): void {
    this.#ws.send(ServerMessage.encode(message).finish());
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') {
      return;
    }
    if (!isBinary) {
      this.close(
        this.#state === 'awaitingAuth'
          ? NotifierClose.invalidAuthRequest
          : NotifierClose.notAllowed,
      );
      return;
    }
    let message: ServerMessage;
    try {
      message = decodeServerMessage(toBytes(data));
    } catch {
      this.close(NotifierClose.malformed);
      return;
    }
    const variant = variantOf(message);
    if (this.#state === 'awaitingAuth') {
      if (variant !== 'authRequest') {
        this.close(NotifierClose.invalidAuthRequest);
        return;
      }
      if (!safeEqualSecret(message.authRequest?.token ?? '', this.#options.managementToken)) {
        this.close(NotifierClose.invalidToken);
        return;
      }
      clearTimeout(this.#authTimer);
      this.#state = 'authenticated';
      this.#send({ authenticated: {} });
      return;
    }
    if (variant === 'subscribeRequest' && this.#state === 'authenticated') {
      const eventType =
        message.subscribeRequest?.eventType ?? EventType.EVENT_TYPE_SERVER_NOTIFICATION;
      this.#send({ subscribeResponse: { eventType } });
      if (eventType === EventType.EVENT_TYPE_SERVER_NOTIFICATION) {
        this.#state = 'subscribed';
      }
      return;
    }
    this.close(NotifierClose.notAllowed);
  }
}
