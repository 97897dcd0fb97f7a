import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: JSON by default, pretty on a terminal. Secrets are redacted by path as a
 * second line of defence; the code never passes them to the logger in the first place.
 */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    base: { service: 'shoal' },
    redact: {
      paths: [
        'token',
        '*.token',
        'managementToken',
        '*.managementToken',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
