/** Typed configuration of `shoal serve`. Every option has an environment-variable twin (see cli). */
export interface ServerConfig {
  /** Address to listen on. */
  host: string;
  /** TCP port for HTTP and WebSockets. */
  port: number;
  /** Bearer token for the REST API and the notifier socket. Never logged. */
  managementToken: string;
  /** Base URL clients use to reach this server (for `peer_websocket_url`, `fishjam_address`). */
  publicUrl: string | undefined;
  /** Secret for signing peer/agent/viewer/streamer tokens. Random per process when not given. */
  tokenSecret: Buffer;
  /** Lifetime of peer and agent tokens. Fishjam: 24 h. */
  tokenTtlMs: number;
  /** When set, webhooks carry `x-fishjam-signature-256: sha256=<hex HMAC>`. */
  webhookSecret: string | undefined;
  webhook: WebhookConfig;
  /** Largest accepted REST body, bytes. Larger answers 413. */
  bodyLimitBytes: number;
  /** WebSocket ping interval (Fishjam: 30 s); a socket that misses one pong is terminated. */
  wsPingIntervalMs: number;
  /** A socket that has not authenticated by then is closed. */
  wsAuthTimeoutMs: number;
  /** How long SIGTERM waits for sockets and webhooks before closing them. */
  drainTimeoutMs: number;
  logLevel: string;
  media: MediaConfig;
  webrtc: WebrtcConfig;
}

export interface WebrtcConfig {
  /**
   * The one address put in ICE candidates. Default: 127.0.0.1 when the server listens on
   * loopback (a local browser connects with no setup), otherwise every host address.
   */
  publicIp: string | undefined;
  /** UDP ports for ICE/RTP, inclusive (`A-B`, A < B). Default: any free port. */
  rtpPortRange: [number, number] | undefined;
  /**
   * A peer whose media path is silent this long (no STUN, DTLS, RTP or RTCP from it), or that
   * has not connected this long after its answer, is disconnected and its resources freed.
   */
  iceTimeoutMs: number;
}

export interface MediaConfig {
  /** Room → agent queue per agent socket: ms of audio per heard track; drop-oldest beyond. */
  agentOutboundCapacityMs: number;
  /** Agent → room buffer per agent track; excess dropped with a warning. Fishjam: 10 min. */
  agentTrackBufferMs: number;
  /** Opus encoder complexity 0–10 for agent tracks (5: ~4× cheaper than 10, same speech quality). */
  opusComplexity: number;
}

export interface WebhookConfig {
  /** Queue capacity per room, in events; overflow drops the oldest queued event (counted, logged). */
  queueCapacity: number;
  /** Retries after the first attempt, with exponential backoff. */
  maxRetries: number;
  retryBaseDelayMs: number;
  /** A receiver that does not answer within this is treated as failed. */
  requestTimeoutMs: number;
}

export const DEFAULT_PORT = 5002;

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const host = overrides.host ?? '0.0.0.0';
  const port = overrides.port ?? DEFAULT_PORT;
  return {
    host,
    port,
    managementToken: overrides.managementToken ?? '',
    // Unset: derived from the host and the port actually bound (port 0 works).
    publicUrl: overrides.publicUrl,
    tokenSecret: overrides.tokenSecret ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
    tokenTtlMs: overrides.tokenTtlMs ?? 24 * 3600_000,
    webhookSecret: overrides.webhookSecret,
    webhook: {
      queueCapacity: 1024,
      maxRetries: 4,
      retryBaseDelayMs: 250,
      requestTimeoutMs: 5_000,
      ...overrides.webhook,
    },
    bodyLimitBytes: overrides.bodyLimitBytes ?? 64 * 1024,
    wsPingIntervalMs: overrides.wsPingIntervalMs ?? 30_000,
    wsAuthTimeoutMs: overrides.wsAuthTimeoutMs ?? 10_000,
    drainTimeoutMs: overrides.drainTimeoutMs ?? 5_000,
    logLevel: overrides.logLevel ?? 'info',
    media: {
      agentOutboundCapacityMs: 1_000,
      agentTrackBufferMs: 10 * 60_000,
      opusComplexity: 5,
      ...overrides.media,
    },
    webrtc: {
      publicIp: undefined,
      rtpPortRange: undefined,
      iceTimeoutMs: 15_000,
      ...overrides.webrtc,
    },
  };
}

export function defaultPublicUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
