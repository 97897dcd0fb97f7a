import { WebSocket, type RawData } from 'ws';
import {
  EventType,
  PeerType,
  ShoalError,
  TypedEmitter,
  decodeServerMessage,
  encodeServerMessage,
  variantOf,
  type NotificationEvents,
  type NotificationName,
  type ServerMessage,
} from '../protocol/index.js';
import { DEFAULT_BACKOFF, backoffDelayMs, sleep, type BackoffOptions } from './backoff.js';
import { UnauthorizedError } from './errors.js';
import { serverUrls } from './url.js';

export interface NotifierOptions {
  serverUrl: string;
  managementToken: string;
  /** Reconnection after a drop (never after `invalid token`). Default: 6 attempts, 100 ms → 3 s. */
  reconnect?: BackoffOptions;
  /** Deadline for Authenticated + SubscribeResponse (default 5 s). */
  handshakeTimeoutMs?: number;
}

export type NotifierEvents = NotificationEvents & {
  /** Subscribed; `reconnected` is true after a drop (resynchronise state you keep). */
  connected: [reconnected: boolean];
  /** The socket dropped; a reconnect follows unless the error is fatal. */
  disconnected: [error: ShoalError];
  /** For good: `error` is undefined after close(). */
  closed: [error: ShoalError | undefined];
};

const PATH = '/socket/server/websocket';

/** `peerType` numbers of the notifications, as names. */
export function peerTypeName(peerType: number | null | undefined): 'webrtc' | 'agent' | 'unknown' {
  return peerType === PeerType.PEER_TYPE_WEBRTC
    ? 'webrtc'
    : peerType === PeerType.PEER_TYPE_AGENT
      ? 'agent'
      : 'unknown';
}

/**
 * The notifier socket: typed room and peer events, reconnecting after drops (bounded backoff).
 * `connect()` resolves once subscribed and rejects with UnauthorizedError on a bad token.
 */
export class Notifier extends TypedEmitter<NotifierEvents> {
  readonly #url: string;
  readonly #token: string;
  readonly #backoff: BackoffOptions;
  readonly #handshakeTimeoutMs: number;
  readonly #abort = new AbortController();
  #ws: WebSocket | undefined;
  #connecting: Promise<void> | undefined;
  #subscribed = false;
  #closed = false;
  readonly stats = { reconnects: 0, notifications: 0, undecodable: 0 };

  constructor(options: NotifierOptions) {
    super();
    this.#url = serverUrls(options.serverUrl).ws(PATH);
    this.#token = options.managementToken;
    this.#backoff = options.reconnect ?? DEFAULT_BACKOFF;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
  }

  get connected(): boolean {
    return this.#subscribed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  connect(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ShoalError('CLOSED', 'the notifier is closed'));
    }
    this.#connecting ??= this.#open(false);
    return this.#connecting;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#subscribed = false;
    this.#abort.abort(new ShoalError('CLOSED', 'the notifier is closed'));
    this.#ws?.close(1000, 'closing');
    this.emit('closed', undefined);
    this.removeAllListeners();
  }

  /** One socket: auth, subscribe, then notifications until it drops. */
  #open(reconnected: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.#url);
      ws.binaryType = 'nodebuffer';
      this.#ws = ws;
      let settled = false;
      const settle = (err?: ShoalError): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      };
      const timer = setTimeout(() => {
        settle(
          new ShoalError('TIMEOUT', `notifier handshake took over ${this.#handshakeTimeoutMs} ms`),
        );
        ws.terminate();
      }, this.#handshakeTimeoutMs);
      ws.on('open', () => {
        ws.send(encodeServerMessage({ authRequest: { token: this.#token } }));
      });
      ws.on('message', (data: RawData) => {
        let message: ServerMessage;
        try {
          message = decodeServerMessage(toBytes(data));
        } catch {
          this.stats.undecodable += 1;
          return;
        }
        const variant = variantOf(message);
        if (variant === 'authenticated') {
          ws.send(
            encodeServerMessage({
              subscribeRequest: { eventType: EventType.EVENT_TYPE_SERVER_NOTIFICATION },
            }),
          );
          return;
        }
        if (variant === 'subscribeResponse') {
          this.#subscribed = true;
          settle();
          this.emit('connected', reconnected);
          return;
        }
        if (!variant || variant === 'authRequest' || variant === 'subscribeRequest') {
          this.stats.undecodable += 1;
          return;
        }
        this.stats.notifications += 1;
        const payload = message[variant];
        (this.emit as (name: NotificationName, payload: unknown) => void)(variant, payload);
      });
      ws.on('error', () => {
        // The close event follows and carries the decision.
      });
      ws.on('close', (code: number, reasonBuffer: Buffer) => {
        const reason = reasonBuffer.toString();
        const wasSubscribed = this.#subscribed;
        this.#subscribed = false;
        if (this.#closed) {
          settle(new ShoalError('CLOSED', 'the notifier is closed'));
          return;
        }
        const error = notifierCloseError(code, reason);
        if (!settled) {
          settle(error);
          return;
        }
        if (wasSubscribed) {
          this.emit('disconnected', error);
          void this.#reconnect();
        }
      });
    });
  }

  async #reconnect(): Promise<void> {
    for (let attempt = 1; attempt <= this.#backoff.maxAttempts; attempt++) {
      try {
        await sleep(backoffDelayMs(attempt, this.#backoff, Math.random()), this.#abort.signal);
        this.stats.reconnects += 1;
        await this.#open(true);
        return;
      } catch (err) {
        if (this.#closed) {
          return;
        }
        if (err instanceof UnauthorizedError || !(err as ShoalError).retryable) {
          this.#fail(err as ShoalError);
          return;
        }
      }
    }
    this.#fail(
      new ShoalError(
        'UNAVAILABLE',
        `notifier: gave up after ${this.#backoff.maxAttempts} reconnects`,
      ),
    );
  }

  #fail(error: ShoalError): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.emit('closed', error);
    this.removeAllListeners();
  }
}

function notifierCloseError(code: number, reason: string): ShoalError {
  if (/invalid token|missing token|invalid auth/i.test(reason)) {
    return new UnauthorizedError('UNAUTHORIZED', { method: 'WS', path: PATH }, 401, reason);
  }
  if (code === 1006 || code === 1001 || code === 1011 || code === 1005) {
    return new ShoalError(
      'UNAVAILABLE',
      `notifier socket closed (${code}${reason ? ` ${reason}` : ''})`,
    );
  }
  return new ShoalError(
    code === 1000 ? 'UNAVAILABLE' : 'BAD_REQUEST',
    `notifier socket closed (${code}${reason ? ` ${reason}` : ''})`,
  );
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
