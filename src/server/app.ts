import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { initResamplers } from '../media/pcm/index.js';
import { TokenSigner } from './auth/index.js';
import { AgentSockets, LatencyRecorder, MediaClock } from './bridge/index.js';
import { defaultPublicUrl, type ServerConfig } from './config.js';
import { installErrorHandling, restRoutes } from './http/index.js';
import { createLogger, type Logger } from './logger.js';
import { roomManagerRoutes, type RoomManagerOptions } from './http/room-manager.js';
import { staticRoutes } from './http/static.js';
import { ServerMetrics } from './metrics.js';
import { LiveFeed, NotificationBus, WebhookDispatcher } from './notifications/index.js';
import { MediaRouter, MemoryRoomStore, RoomService, type RoomStore } from './rooms/index.js';
import { NotifierSockets, SocketRouter, type SocketRoute } from './sockets/index.js';
import { PeerSockets } from './webrtc/index.js';

export interface ShoalServerDeps {
  log?: Logger;
  store?: RoomStore;
  /** Demo mode: the page, the sandbox room manager and the live event feed. Off by default. */
  demo?: DemoOptions;
}

export interface DemoOptions {
  /** Folder of the built demo page (dist/web). */
  webRoot: string;
  /** What `GET /demo/config` tells the page about the agents it can pick. */
  agents: { name: string; label: string; available: boolean; reason?: string }[];
  /** Phrases the offline recogniser knows, shown on the page (absent: open vocabulary). */
  phrases?: string[];
  /** Called when the room manager created a peer (e.g. to put the chosen agent in the room). */
  onPeerCreated?: RoomManagerOptions['onPeerCreated'];
}

/**
 * The composition root of the room server. `buildServer` wires everything without listening;
 * `listen()` binds the port; `close()` drains (idempotent).
 */
export class ShoalServer {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly http: FastifyInstance;
  readonly bus = new NotificationBus();
  readonly rooms: RoomService;
  readonly webhooks: WebhookDispatcher;
  readonly notifier: NotifierSockets;
  readonly media: MediaRouter;
  readonly clock: MediaClock;
  readonly agents: AgentSockets;
  readonly peers: PeerSockets;
  /** Server-internal media latency: frame due (pacer) or arrived → written to a socket. */
  readonly latency = new LatencyRecorder();
  /** RTP-out latency: packet arrived (another peer) or due (agent pacer) → sent to a WebRTC peer. */
  readonly rtpLatency = new LatencyRecorder();
  /** Live per-room events for front ends (captions, agent state); served in demo mode. */
  readonly feed = new LiveFeed();
  readonly metrics: ServerMetrics;
  readonly #demo: DemoOptions | undefined;
  #sockets: SocketRouter | undefined;
  #state: 'idle' | 'ready' | 'draining' | 'closed' = 'idle';
  #closing: Promise<void> | undefined;

  constructor(config: ServerConfig, deps: ShoalServerDeps = {}) {
    if (!config.managementToken) {
      throw new TypeError('a management token is required');
    }
    this.config = config;
    this.log = deps.log ?? createLogger(config.logLevel);
    this.bus.onListenerError = (err, event) =>
      this.log.error({ err, event }, 'notification listener failed');
    this.rooms = new RoomService({
      store: deps.store ?? new MemoryRoomStore(),
      bus: this.bus,
      tokens: new TokenSigner(config.tokenSecret),
      tokenTtlMs: config.tokenTtlMs,
    });
    this.rooms.events.onListenerError = (err, event) =>
      this.log.error({ err, event }, 'room event listener failed');
    this.webhooks = new WebhookDispatcher({
      config: config.webhook,
      secret: config.webhookSecret,
      log: this.log,
    });
    this.webhooks.attach(this.bus);
    this.notifier = new NotifierSockets({
      bus: this.bus,
      managementToken: config.managementToken,
      pingIntervalMs: config.wsPingIntervalMs,
      authTimeoutMs: config.wsAuthTimeoutMs,
      log: this.log,
    });
    this.media = new MediaRouter(this.log);
    this.clock = new MediaClock(this.log);
    this.agents = new AgentSockets({
      rooms: this.rooms,
      bus: this.bus,
      media: this.media,
      clock: this.clock,
      latency: this.latency,
      log: this.log,
      pingIntervalMs: config.wsPingIntervalMs,
      authTimeoutMs: config.wsAuthTimeoutMs,
      outboundCapacityMs: config.media.agentOutboundCapacityMs,
      trackBufferMs: config.media.agentTrackBufferMs,
      opusComplexity: config.media.opusComplexity,
    });
    this.peers = new PeerSockets({
      rooms: this.rooms,
      bus: this.bus,
      media: this.media,
      rtpLatency: this.rtpLatency,
      log: this.log,
      pingIntervalMs: config.wsPingIntervalMs,
      authTimeoutMs: config.wsAuthTimeoutMs,
      ice: {
        host: config.host,
        publicIp: config.webrtc.publicIp,
        rtpPortRange: config.webrtc.rtpPortRange,
      },
      iceTimeoutMs: config.webrtc.iceTimeoutMs,
    });
    this.metrics = new ServerMetrics({
      rooms: async () => {
        const rooms = await this.rooms.listRooms();
        const peers = rooms.flatMap((r) => r.peers);
        return {
          rooms: rooms.length,
          peers: peers.length,
          connectedPeers: peers.filter((p) => p.status === 'connected').length,
        };
      },
      agents: () => this.agents.totals(),
      webhooks: () => ({ ...this.webhooks.stats, queued: this.webhooks.queuedEvents }),
      notifierSessions: () => this.notifier.sessionCount,
    });
    this.latency.onRecord = (ms) => this.metrics.agentLatency.observe(ms / 1000);
    this.rtpLatency.onRecord = (ms) => this.metrics.rtpLatency.observe(ms / 1000);
    this.#demo = deps.demo;
    this.http = this.#buildHttp();
  }

  /** The configured public URL, or `http://<host>:<bound port>`. */
  get publicUrl(): string {
    if (this.config.publicUrl) {
      return this.config.publicUrl;
    }
    const address = this.http.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    return defaultPublicUrl(this.config.host, port);
  }

  get state(): 'idle' | 'ready' | 'draining' | 'closed' {
    return this.#state;
  }

  #buildHttp(): FastifyInstance {
    const app = Fastify({
      // Per-request lines are info-level noise; the http child logs warnings and errors only.
      loggerInstance: this.log.child(
        { component: 'http' },
        { level: this.log.levelVal > 40 ? this.log.level : 'warn' },
      ) as FastifyBaseLogger,
      bodyLimit: this.config.bodyLimitBytes,
      routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true },
    });
    installErrorHandling(app, this.log);
    app.get('/health', async (_request, reply) =>
      this.#state === 'ready'
        ? { status: 'ok' }
        : reply.code(503).send({ errors: `server is ${this.#state}` }),
    );
    const publicWsUrl = (): string => {
      const url = new URL(this.publicUrl);
      return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
    };
    const rest = restRoutes({
      rooms: this.rooms,
      managementToken: this.config.managementToken,
      publicWsUrl,
      publicAddress: () => new URL(this.publicUrl).host,
    });
    app.register(rest);
    app.register(rest, { prefix: '/api/v1/connect/:fishjamId' });
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', this.metrics.contentType()).send(await this.metrics.render()),
    );
    const demo = this.#demo;
    if (demo) {
      app.register(
        roomManagerRoutes({
          rooms: this.rooms,
          publicWsUrl,
          onPeerCreated: demo.onPeerCreated,
        }),
      );
      app.get('/demo/config', async () => ({ agents: demo.agents, phrases: demo.phrases ?? null }));
      app.get<{ Params: { roomId: string } }>('/live/:roomId/events', (request, reply) => {
        reply.hijack();
        this.feed.subscribe(request.params.roomId, reply.raw);
      });
      app.register(staticRoutes(demo.webRoot));
    }
    return app;
  }

  /** Socket endpoints; later media planes add theirs here. */
  #socketRoutes(): SocketRoute[] {
    return [this.notifier.route(), this.agents.route(), this.peers.route()];
  }

  /** Binds the port; resolves with the address once `/health` answers 200. */
  async listen(): Promise<{ host: string; port: number }> {
    await initResamplers();
    await this.http.ready();
    this.#sockets = new SocketRouter(this.http.server, this.#socketRoutes());
    await this.http.listen({ host: this.config.host, port: this.config.port });
    this.#state = 'ready';
    const address = this.http.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.log.info({ component: 'server', host: this.config.host, port }, 'shoal is listening');
    return { host: this.config.host, port };
  }

  /** Stops accepting, closes sockets, lets webhooks drain up to the deadline, then exits. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'draining';
    this.#sockets?.close();
    this.notifier.close();
    this.feed.close();
    this.peers.close();
    this.agents.close();
    this.clock.close();
    this.media.close();
    // Sockets were sent close frames; whatever has not finished closing by the deadline is cut.
    const deadline = setTimeout(() => {
      this.#sockets?.terminateAll();
      this.http.server.closeAllConnections();
    }, this.config.drainTimeoutMs);
    await this.webhooks.close(this.config.drainTimeoutMs);
    await this.http.close();
    clearTimeout(deadline);
    this.bus.removeAllListeners();
    this.#state = 'closed';
  }
}

export function buildServer(config: ServerConfig, deps?: ShoalServerDeps): ShoalServer {
  return new ShoalServer(config, deps);
}
