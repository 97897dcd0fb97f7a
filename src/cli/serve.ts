import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DEFAULT_PORT,
  buildServer,
  createLogger,
  defaultConfig,
  type Logger,
  type ServerConfig,
} from '../server/index.js';
import { formatHelp, parseIntOption, readOptions, UsageError, type OptionSpec } from './options.js';

export const serveOptions: readonly OptionSpec[] = [
  { name: 'host', env: 'SHOAL_HOST', help: 'address to listen on', default: '0.0.0.0' },
  {
    name: 'port',
    env: 'SHOAL_PORT',
    help: 'HTTP and WebSocket port',
    default: String(DEFAULT_PORT),
  },
  {
    name: 'management-token',
    env: 'SHOAL_MANAGEMENT_TOKEN',
    help: 'bearer token for the REST API and notifier (generated and printed once in dev when absent)',
    secret: true,
  },
  { name: 'public-url', env: 'SHOAL_PUBLIC_URL', help: 'URL clients use to reach this server' },
  {
    name: 'token-secret',
    env: 'SHOAL_TOKEN_SECRET',
    help: 'secret that signs peer tokens (random per process when absent)',
    secret: true,
  },
  {
    name: 'token-ttl',
    env: 'SHOAL_TOKEN_TTL',
    help: 'peer token lifetime, seconds',
    default: '86400',
  },
  {
    name: 'webhook-secret',
    env: 'SHOAL_WEBHOOK_SECRET',
    help: 'signs webhooks with x-fishjam-signature-256',
    secret: true,
  },
  {
    name: 'public-ip',
    env: 'SHOAL_PUBLIC_IP',
    help: 'IP address advertised in WebRTC ICE candidates (default: 127.0.0.1 on a loopback host, else every host address)',
  },
  {
    name: 'rtp-port-range',
    env: 'SHOAL_RTP_PORT_RANGE',
    help: 'UDP ports for WebRTC media, e.g. 40000-40999 (default: any free port)',
  },
  { name: 'log-level', env: 'SHOAL_LOG_LEVEL', help: 'pino log level', default: 'info' },
];

export const SERVE_USAGE = 'Usage: shoal serve [options]';

export async function serve(args: string[]): Promise<number> {
  const { values, help } = readOptions(args, serveOptions);
  if (help) {
    process.stdout.write(
      formatHelp(SERVE_USAGE, 'Runs the Fishjam-compatible room server.', serveOptions),
    );
    return 0;
  }
  const config = serverConfigFrom(values);
  const log = createLogger(config.logLevel);
  const server = buildServer(config, { log });
  await server.listen();
  await untilSignal(log, () => server.close());
  return 0;
}

/** Server configuration from parsed `serve` options (also used by `shoal demo`). */
export function serverConfigFrom(values: Record<string, string | undefined>): ServerConfig {
  let managementToken = values['management-token'];
  if (!managementToken) {
    if (process.env['NODE_ENV'] === 'production') {
      throw new UsageError(
        'a management token is required in production: --management-token or SHOAL_MANAGEMENT_TOKEN',
      );
    }
    managementToken = randomBytes(24).toString('base64url');
    // Printed once, to the terminal only; never through the logger.
    process.stdout.write(`shoal: generated management token (dev only): ${managementToken}\n`);
  }
  const port = parseIntOption('port', values['port'], 0, 65535) ?? DEFAULT_PORT;
  const host = values['host'] ?? '0.0.0.0';
  const tokenTtlS = parseIntOption('token-ttl', values['token-ttl'], 1, 365 * 86400) ?? 86400;
  const secret = values['token-secret'];
  if (secret && secret.length < 16) {
    throw new UsageError('--token-secret must be at least 16 characters');
  }
  return defaultConfig({
    host,
    port,
    managementToken,
    tokenTtlMs: tokenTtlS * 1000,
    webhookSecret: values['webhook-secret'],
    logLevel: values['log-level'] ?? 'info',
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(secret ? { tokenSecret: Buffer.from(secret) } : {}),
    webrtc: {
      publicIp: parsePublicIp(values['public-ip']),
      rtpPortRange: parsePortRange(values['rtp-port-range']),
      iceTimeoutMs: 15_000,
    },
  });
}

/** Resolves after SIGTERM or SIGINT, once `drain` has finished (or failed, logged). */
export async function untilSignal(log: Logger, drain: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ component: 'server', signal }, 'draining');
      drain().then(resolve, (err: unknown) => {
        log.error({ err }, 'error while draining');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** `--public-ip`: an IPv4 or IPv6 address (not a host name: it goes verbatim into ICE candidates). */
export function parsePublicIp(value: string | undefined): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  if (isIP(value) === 0) {
    throw new UsageError(`--public-ip must be an IP address, got "${value}"`);
  }
  return value;
}

/** `--rtp-port-range A-B`: 1024 ≤ A < B ≤ 65535. */
export function parsePortRange(value: string | undefined): [number, number] | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value.trim());
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || low < 1024 || high > 65535 || low >= high) {
    throw new UsageError(
      `--rtp-port-range must be A-B with 1024 <= A < B <= 65535, got "${value}"`,
    );
  }
  return [low, high];
}
