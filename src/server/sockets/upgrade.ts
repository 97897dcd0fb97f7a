import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketRoute {
  /** Canonical path, e.g. `/socket/server/websocket`. */
  path: string;
  /** Largest frame accepted, bytes; a larger one closes the socket with 1009. */
  maxPayloadBytes: number;
  onConnection(ws: WebSocket, request: IncomingMessage): void;
}

/**
 * Canonical form of a socket path: duplicate slashes collapsed (js-server-sdk 0.25 with a
 * bare-origin URL sends `//socket/…`), the hosted-Fishjam prefix `/api/v1/connect/<id>` removed,
 * no trailing slash.
 */
export function canonicalPath(url: string): string {
  const pathname = (url.split('?')[0] ?? '').replace(/\/{2,}/g, '/');
  const stripped = pathname.replace(/^\/api\/v1\/connect\/[^/]+(?=\/|$)/, '');
  return stripped.length > 1 ? stripped.replace(/\/$/, '') : stripped || '/';
}

/** Routes HTTP upgrades to one `ws` server per socket path; anything else gets a 404. */
export class SocketRouter {
  readonly #routes = new Map<string, { route: SocketRoute; wss: WebSocketServer }>();
  #closed = false;

  constructor(server: Server, routes: SocketRoute[]) {
    for (const route of routes) {
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: route.maxPayloadBytes,
        perMessageDeflate: false,
      });
      wss.on('connection', (ws, request) => route.onConnection(ws, request));
      this.#routes.set(route.path, { route, wss });
    }
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(request, socket, head),
    );
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const entry = this.#routes.get(canonicalPath(request.url ?? '/'));
    if (!entry || this.#closed) {
      const status = this.#closed ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    entry.wss.handleUpgrade(request, socket, head, (ws) =>
      entry.wss.emit('connection', ws, request),
    );
  }

  /** Ends every socket still open at once (after a drain deadline). */
  terminateAll(): void {
    for (const { wss } of this.#routes.values()) {
      for (const ws of wss.clients) {
        ws.terminate();
      }
    }
  }

  /** Stops accepting new sockets. Live sockets belong to their handlers, which close them. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const { wss } of this.#routes.values()) {
      wss.close();
    }
  }
}
