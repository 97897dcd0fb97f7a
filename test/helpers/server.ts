import { pino } from 'pino';
import { WebSocket } from 'ws';
import {
  buildServer,
  defaultConfig,
  type ServerConfig,
  type ShoalServer,
  type ShoalServerDeps,
} from '../../src/server/index.js';

// The official SDKs use the global WebSocket (Node 22+); Node 20 needs one provided.
export function provideGlobalWebSocket(): void {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
}

export interface RunningShoal {
  server: ShoalServer;
  /** `http://127.0.0.1:<port>` (bare origin). */
  origin: string;
  /** The hosted-Fishjam URL shape: `<origin>/api/v1/connect/<id>`. */
  prefixed: string;
  token: string;
  close(): Promise<void>;
}

export async function startShoal(
  overrides: Partial<ServerConfig> = {},
  deps: Omit<ShoalServerDeps, 'log'> = {},
): Promise<RunningShoal> {
  const token = 'test-management-token';
  const server = buildServer(
    defaultConfig({ host: '127.0.0.1', port: 0, managementToken: token, ...overrides }),
    { log: pino({ level: process.env['SHOAL_TEST_LOG'] ?? 'silent' }), ...deps },
  );
  const { port } = await server.listen();
  const origin = `http://127.0.0.1:${port}`;
  return {
    server,
    origin,
    prefixed: `${origin}/api/v1/connect/local-test`,
    token,
    close: () => server.close(),
  };
}

/** Polls `check` until it returns a value or the deadline passes. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
