import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger that writes nothing (the default when none is given). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * JSON lines on stderr, so an agent's stdout stays free for its own output (the transcriber's
 * JSON lines). Secrets are redacted by path as a second line of defence.
 */
export function createAgentLogger(level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'shoal-agent' },
      redact: { paths: ['token', '*.token', 'managementToken', '*.managementToken', 'apiKey'] },
    },
    pino.destination(2),
  );
}
