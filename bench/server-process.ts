import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Percentiles {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ServerSample {
  cpuMs: number;
  wallMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Frame due (pacer) or RTP arrived → TrackData written to an agent socket. */
  agentLatency: Percentiles;
  /** Frame due or RTP arrived → RTP written to a WebRTC peer. */
  rtpLatency: Percentiles;
  peers: { sessions: number; connected: number; packetsIn: number; packetsOut: number };
  agents: {
    sessions: number;
    framesToAgents: number;
    framesToAgentsDropped: number;
    outboundQueuedFrames: number;
    framesPlayed: number;
    framesRefused: number;
    framesInterrupted: number;
  };
}

/** Starts bench/server-child.ts in a child process and talks to it over IPC. */
export class ServerProcess {
  readonly #child: ChildProcess;
  port = 0;
  token = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(): Promise<ServerProcess> {
    const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    const ready = await server.#next<{ port: number; token: string }>('ready');
    server.port = ready.port;
    server.token = ready.token;
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async reset(): Promise<void> {
    this.#child.send({ type: 'reset' });
    await this.#next('reset-done');
  }

  async sample(): Promise<ServerSample> {
    this.#child.send({ type: 'sample' });
    return this.#next<ServerSample>('sample');
  }

  /** A REST call with the management token; throws on a non-2xx answer. */
  async rest<T>(method: string, path: string, body?: object): Promise<T> {
    const res = await fetch(`${this.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) {
      throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.send({ type: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    this.#child.kill('SIGKILL');
  }

  #next<T>(type: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: { type: string } & T): void => {
        if (msg.type === type) {
          this.#child.off('message', onMessage);
          this.#child.off('exit', onExit);
          resolve(msg);
        }
      };
      const onExit = (code: number | null): void => reject(new Error(`server exited (${code})`));
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
    });
  }
}
