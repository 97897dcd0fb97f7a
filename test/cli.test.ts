import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ServerMessage } from '../src/protocol/index.js';
import { startShoal } from './helpers/server.js';

const runTs = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));

function shoal(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', runTs, ...args], {
    env: { ...process.env, SHOAL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('shoal CLI', () => {
  it('serve: prints a generated token once, answers /health, drains on SIGTERM and exits 0', async () => {
    const run = shoal(['serve', '--host', '127.0.0.1', '--port', '0']);
    const port = await waitFor(() => {
      const m = /"port":(\d+)/.exec(run.out());
      return m ? Number(m[1]) : undefined;
    }, 15_000);
    const token = /generated management token \(dev only\): (\S+)/.exec(run.out())?.[1];
    expect(token).toBeDefined();
    // Printed once, never inside a log line.
    expect(run.out().split(token!).length - 1).toBe(1);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const rooms = await fetch(`http://127.0.0.1:${port}/room`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rooms.status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 30_000);

  it('serve: reads SHOAL_PORT and SHOAL_MANAGEMENT_TOKEN, never logs the token', async () => {
    const run = shoal(['serve', '--host', '127.0.0.1'], {
      SHOAL_PORT: '0',
      SHOAL_MANAGEMENT_TOKEN: 'env-secret-token',
    });
    const port = await waitFor(() => {
      const m = /"port":(\d+)/.exec(run.out());
      return m ? Number(m[1]) : undefined;
    }, 15_000);
    const res = await fetch(`http://127.0.0.1:${port}/room`, {
      headers: { authorization: 'Bearer env-secret-token' },
    });
    expect(res.status).toBe(200);
    await fetch(`http://127.0.0.1:${port}/room`, { headers: { authorization: 'Bearer wrong' } });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out() + run.err()).not.toContain('env-secret-token');
  }, 30_000);

  it('explains bad usage with exit code 2', async () => {
    const bad = shoal(['serve', '--port', 'abc']);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toMatch(/--port must be an integer/);
    const unknown = shoal(['launch']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.err()).toMatch(/unknown command "launch"/);
    const help = shoal(['serve', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.out()).toMatch(/SHOAL_MANAGEMENT_TOKEN/);
  }, 30_000);
});

describe('socket keep-alive', () => {
  it('pings every interval and terminates a client that stops answering', async () => {
    const server = await startShoal({ wsPingIntervalMs: 50 });
    try {
      const url = `${server.origin.replace('http', 'ws')}/socket/server/websocket`;
      const silent = new WebSocket(url, { autoPong: false });
      const polite = new WebSocket(url);
      let pings = 0;
      polite.on('ping', () => (pings += 1));
      const silentClosed = new Promise<number>((resolve) =>
        silent.on('close', (code) => resolve(code)),
      );
      for (const ws of [silent, polite]) {
        await new Promise((r) => ws.once('open', r));
        ws.send(ServerMessage.encode({ authRequest: { token: server.token } }).finish());
      }
      expect(await silentClosed).toBe(1006);
      await new Promise((r) => setTimeout(r, 200));
      expect(pings).toBeGreaterThanOrEqual(3);
      expect(polite.readyState).toBe(WebSocket.OPEN);
      polite.close();
    } finally {
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('cuts sockets that never finish closing at the drain deadline', async () => {
    const { connect } = await import('node:net');
    const server = await startShoal({ drainTimeoutMs: 300 });
    const port = Number(new URL(server.origin).port);
    // A raw client that completes the WebSocket upgrade and then ignores everything.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      'GET /socket/server/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise((r) => socket.once('data', r));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    socket.destroy();
  });
});
