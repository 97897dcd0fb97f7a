import { WebSocket, type RawData } from 'ws';
import {
  ShoalError,
  TypedEmitter,
  decodeAgentResponse,
  encodeAgentRequest,
  variantOf,
  type AgentResponse,
  type IAgentRequest,
} from '../protocol/index.js';
import {
  DEFAULT_BACKOFF,
  abortReason,
  backoffDelayMs,
  serverUrls,
  sleep,
  type BackoffOptions,
} from '../sdk/index.js';
import { AgentSocketClosedError, closeError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';

export interface AgentConnectionOptions {
  /** The server (bare origin, `…/api/v1/connect/<id>` prefix, or hosted Fishjam ID). */
  serverUrl: string;
  /** The agent peer's token; reused for every reconnect. */
  token: string;
  /** Reconnection after a non-fatal drop. Default: 6 attempts, 100 ms → 3 s with jitter. */
  reconnect?: BackoffOptions;
  /** Deadline for `Authenticated` after the socket opens (default 5 s). */
  authTimeoutMs?: number;
  /** Client pings; the socket is dropped when one goes unanswered this long (default 15 s). */
  keepAliveMs?: number;
  log?: Logger;
}

/** One 20 ms piece of a peer's audio (PCM16 LE mono at the agent's rate). */
export interface IncomingAudio {
  peerId: string;
  trackId: string | undefined;
  data: Uint8Array;
  /** performance.now() when it arrived. */
  arrivedAtMs: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface AgentConnectionEvents extends Record<string, unknown[]> {
  /** Authenticated; `reconnected` is true after a drop (tracks must be added again). */
  open: [reconnected: boolean];
  audio: [audio: IncomingAudio];
  /** A non-fatal drop; reconnection starts. Audio sent but not yet played is lost on the server. */
  disconnected: [error: AgentSocketClosedError];
  /** For good. `error` is undefined after close(). No event follows. */
  closed: [error: ShoalError | undefined];
}

/**
 * One agent socket (`/socket/agent/websocket`): sends the token, waits for `Authenticated`,
 * reconnects with the same token after a drop (bounded backoff), and turns close reasons into
 * typed errors (`AgentSocketClosedError`). Messages sent while not open are refused (send()
 * returns false) and counted; buffering belongs to the caller (OutputTrack).
 */
export class AgentConnection extends TypedEmitter<AgentConnectionEvents> {
  readonly url: string;
  readonly #token: string;
  readonly #backoff: BackoffOptions;
  readonly #authTimeoutMs: number;
  readonly #keepAliveMs: number;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #ws: WebSocket | undefined;
  #state: ConnectionState = 'idle';
  #connecting: Promise<void> | undefined;
  #reconnecting: Promise<void> | undefined;
  readonly stats = {
    reconnects: 0,
    messagesSent: 0,
    /** send() calls refused because the socket was not open. */
    messagesRefused: 0,
    audioFramesIn: 0,
    undecodableFrames: 0,
  };

  constructor(options: AgentConnectionOptions) {
    super();
    this.url = serverUrls(options.serverUrl).ws('/socket/agent/websocket');
    this.#token = options.token;
    this.#backoff = options.reconnect ?? DEFAULT_BACKOFF;
    this.#authTimeoutMs = options.authTimeoutMs ?? 5000;
    this.#keepAliveMs = options.keepAliveMs ?? 15_000;
    this.#log = (options.log ?? silentLogger()).child({ component: 'agent-connection' });
    this.onListenerError = (err, event) =>
      this.#log.error({ err, event: String(event) }, 'agent connection listener threw');
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Opens and authenticates; rejects with a typed error (bad token, unreachable, timeout). */
  connect(): Promise<void> {
    if (this.#state === 'closed') {
      return Promise.reject(new ShoalError('CLOSED', 'the agent connection is closed'));
    }
    this.#connecting ??= (async () => {
      this.#state = 'connecting';
      try {
        await this.#open(false);
      } catch (err) {
        this.#finish(err as ShoalError);
        throw err;
      }
    })();
    return this.#connecting;
  }

  /** Sends one request; false (and counted) when the socket is not open. */
  send(request: IAgentRequest): boolean {
    const ws = this.#ws;
    if (this.#state !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) {
      this.stats.messagesRefused += 1;
      return false;
    }
    ws.send(encodeAgentRequest(request));
    this.stats.messagesSent += 1;
    return true;
  }

  /** Bytes written to the socket but not yet sent by the OS. */
  get bufferedBytes(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Idempotent: closes the socket and stops reconnecting. */
  close(): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#abort.abort(new ShoalError('CLOSED', 'the agent connection is closed'));
    this.#ws?.close(1000, 'agent leaving');
    this.#finish(undefined);
  }

  #finish(error: ShoalError | undefined): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#state = 'closed';
    this.#abort.abort(error ?? new ShoalError('CLOSED', 'the agent connection is closed'));
    if (this.#ws && this.#ws.readyState !== WebSocket.CLOSED) {
      this.#ws.terminate();
    }
    if (error) {
      this.#log.warn({ err: error }, 'agent connection closed');
    }
    this.emit('closed', error);
    this.removeAllListeners();
  }

  /** One socket through authentication; afterwards watches it for drops. */
  #open(reconnected: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false });
      this.#ws = ws;
      let authenticated = false;
      let settled = false;
      let pingTimer: NodeJS.Timeout | undefined;
      let awaitingPong = false;
      const settle = (err?: ShoalError): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(authTimer);
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      };
      const authTimer = setTimeout(() => {
        settle(new ShoalError('TIMEOUT', `no Authenticated within ${this.#authTimeoutMs} ms`));
        ws.terminate();
      }, this.#authTimeoutMs);
      ws.on('open', () => {
        ws.send(encodeAgentRequest({ authRequest: { token: this.#token } }));
      });
      ws.on('pong', () => {
        awaitingPong = false;
      });
      ws.on('message', (data: RawData) => {
        let message: AgentResponse;
        try {
          message = decodeAgentResponse(toBytes(data));
        } catch {
          this.stats.undecodableFrames += 1;
          return;
        }
        const variant = variantOf(message);
        if (variant === 'authenticated') {
          if (authenticated) {
            return;
          }
          authenticated = true;
          this.#state = 'open';
          pingTimer = setInterval(() => {
            if (awaitingPong) {
              ws.terminate();
              return;
            }
            awaitingPong = true;
            ws.ping();
          }, this.#keepAliveMs);
          pingTimer.unref();
          settle();
          this.emit('open', reconnected);
          return;
        }
        if (variant === 'trackData' && message.trackData) {
          const td = message.trackData;
          this.stats.audioFramesIn += 1;
          this.emit('audio', {
            peerId: td.peerId ?? '',
            trackId: td.track?.id || undefined,
            data: td.data ?? new Uint8Array(0),
            arrivedAtMs: performance.now(),
          });
        }
      });
      ws.on('error', (err) => this.#log.debug({ err }, 'agent socket error'));
      ws.on('close', (code: number, reasonBuffer: Buffer) => {
        clearInterval(pingTimer);
        const error = closeError(code, reasonBuffer.toString());
        if (!settled) {
          settle(error);
          return;
        }
        if (this.#state === 'closed' || this.#ws !== ws) {
          return;
        }
        if (error.fatal) {
          this.#finish(error);
          return;
        }
        this.#state = 'reconnecting';
        this.#log.warn({ code, reason: error.reason }, 'agent socket dropped; reconnecting');
        this.emit('disconnected', error);
        if (!this.#reconnecting) {
          this.#reconnecting = this.#reconnect().finally(() => {
            this.#reconnecting = undefined;
          });
        }
      });
    });
  }

  async #reconnect(): Promise<void> {
    let last: ShoalError | undefined;
    for (let attempt = 1; attempt <= this.#backoff.maxAttempts; attempt++) {
      try {
        await sleep(backoffDelayMs(attempt, this.#backoff, Math.random()), this.#abort.signal);
      } catch {
        return;
      }
      if (this.#state === 'closed') {
        return;
      }
      this.stats.reconnects += 1;
      try {
        await this.#open(true);
        this.#log.info({ attempt }, 'agent socket reconnected');
        return;
      } catch (err) {
        last = err as ShoalError;
        if (this.#abort.signal.aborted) {
          return;
        }
        if (err instanceof AgentSocketClosedError && err.fatal) {
          this.#finish(err);
          return;
        }
        this.#state = 'reconnecting';
      }
    }
    this.#finish(
      new ShoalError(
        'UNAVAILABLE',
        `agent socket: gave up after ${this.#backoff.maxAttempts} reconnect attempts` +
          (last ? ` (last: ${last.message})` : ''),
        { cause: last },
      ),
    );
  }
}

/** Resolves when the connection is open, or rejects when it closes or the signal aborts. */
export function whenOpen(connection: AgentConnection, signal?: AbortSignal): Promise<void> {
  if (connection.isOpen) {
    return Promise.resolve();
  }
  if (connection.state === 'closed') {
    return Promise.reject(new ShoalError('CLOSED', 'the agent connection is closed'));
  }
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (fn: () => void): void => {
      for (const off of offs) {
        off();
      }
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => done(() => reject(abortReason(signal as AbortSignal)));
    offs.push(connection.on('open', () => done(resolve)));
    offs.push(
      connection.on('closed', (err) =>
        done(() => reject(err ?? new ShoalError('CLOSED', 'the agent connection is closed'))),
      ),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
