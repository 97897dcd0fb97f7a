import { randomBytes } from 'node:crypto';
import { DEFAULT_PORT, buildServer, createLogger, defaultConfig } from '../server/index.js';
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
  const logLevel = values['log-level'] ?? 'info';
  const secret = values['token-secret'];
  const config = defaultConfig({
    host,
    port,
    managementToken,
    tokenTtlMs: tokenTtlS * 1000,
    webhookSecret: values['webhook-secret'],
    logLevel,
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(secret ? { tokenSecret: Buffer.from(secret) } : {}),
  });
  if (secret && secret.length < 16) {
    throw new UsageError('--token-secret must be at least 16 characters');
  }
  const log = createLogger(logLevel);
  const server = buildServer(config, { log });
  await server.listen();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ component: 'server', signal }, 'draining');
      server.close().then(resolve, (err: unknown) => {
        log.error({ err }, 'error while draining');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
