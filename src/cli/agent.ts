import { readFile } from 'node:fs/promises';
import { assistantAgent } from '../../agents/assistant/index.js';
import { echoAgent } from '../../agents/echo/index.js';
import { transcriberAgent } from '../../agents/transcriber/index.js';
import {
  AgentHost,
  createAgentLogger,
  parseDispatchRule,
  type AgentDefinition,
  type TurnTakingOptions,
} from '../agent/index.js';
import { ShoalError } from '../protocol/index.js';
import { ServerUnreachableError, UnauthorizedError } from '../sdk/index.js';
import { formatHelp, parseIntOption, readOptions, UsageError, type OptionSpec } from './options.js';

export const AGENT_NAMES = ['echo', 'transcriber', 'assistant'] as const;

export const agentOptions: readonly OptionSpec[] = [
  {
    name: 'server',
    env: 'SHOAL_SERVER_URL',
    help: 'Shoal or Fishjam URL: http://host:5002 or https://fishjam.io/api/v1/connect/<id>',
  },
  {
    name: 'management-token',
    env: 'SHOAL_MANAGEMENT_TOKEN',
    help: "the server's management token",
    secret: true,
  },
  { name: 'room', env: 'SHOAL_AGENT_ROOM', help: 'join this room (exits when the session ends)' },
  {
    name: 'dispatch',
    env: 'SHOAL_AGENT_DISPATCH',
    help: 'join rooms by rule: a room type (audio_only), a list (audio_only,conference) or *; the agent joins when the first person connects and leaves after the last',
  },
  {
    name: 'max-sessions',
    env: 'SHOAL_AGENT_MAX_SESSIONS',
    help: 'rooms served at once',
    default: '32',
  },
  {
    name: 'vad',
    env: 'SHOAL_AGENT_VAD',
    help: 'voice activity detector: silero or energy',
    default: 'silero',
  },
  {
    name: 'end-of-turn-ms',
    env: 'SHOAL_AGENT_END_OF_TURN_MS',
    help: 'silence that ends a turn',
    default: '500',
  },
  {
    name: 'barge-in-ms',
    env: 'SHOAL_AGENT_BARGE_IN_MS',
    help: 'speech over the agent that interrupts it (0: never)',
    default: '300',
  },
  {
    name: 'provider',
    env: 'SHOAL_AGENT_PROVIDER',
    help: 'transcriber: openai or local (pocketsphinx); default openai when OPENAI_API_KEY is set',
  },
  {
    name: 'mode',
    env: 'SHOAL_AGENT_MODE',
    help: 'assistant: realtime, cascade or local; default realtime when OPENAI_API_KEY is set, else local',
  },
  {
    name: 'openai-base-url',
    env: 'OPENAI_BASE_URL',
    help: 'OpenAI-compatible endpoint (the key is read from OPENAI_API_KEY only)',
  },
  {
    name: 'phrases-file',
    env: 'SHOAL_AGENT_PHRASES_FILE',
    help: 'pocketsphinx grammar mode: one phrase per line (free mode without)',
  },
  {
    name: 'drain-timeout',
    env: 'SHOAL_AGENT_DRAIN_TIMEOUT',
    help: 'seconds to finish replies on SIGTERM',
    default: '10',
  },
  {
    name: 'log-level',
    env: 'SHOAL_LOG_LEVEL',
    help: 'pino log level (logs go to stderr)',
    default: 'info',
  },
];

export const AGENT_USAGE = `Usage: shoal agent <${AGENT_NAMES.join('|')}> --server <url> --management-token <token> (--room <id> | --dispatch <rule>)`;

export async function agent(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, help, positionals } = readOptions(args, agentOptions, env);
  if (help) {
    process.stdout.write(
      formatHelp(
        AGENT_USAGE,
        'Runs a ready agent in one room or in every room a rule matches.\n' +
          "  echo         plays each speaker's turn back (no keys)\n" +
          '  transcriber  per-speaker transcripts as JSON lines on stdout (OpenAI or local pocketsphinx)\n' +
          '  assistant    voice assistant (OpenAI Realtime, cascade fallback, or local pocketsphinx + espeak-ng)',
        agentOptions,
      ),
    );
    return 0;
  }
  const [name, ...extra] = positionals;
  if (!name || !(AGENT_NAMES as readonly string[]).includes(name) || extra.length > 0) {
    throw new UsageError(`name one agent: ${AGENT_NAMES.join(', ')}\n${AGENT_USAGE}`);
  }
  const server = values['server'];
  const token = values['management-token'];
  if (!server) {
    throw new UsageError('--server (or SHOAL_SERVER_URL) is required');
  }
  if (!token) {
    throw new UsageError('--management-token (or SHOAL_MANAGEMENT_TOKEN) is required');
  }
  const room = values['room'];
  const dispatch = values['dispatch'];
  if (Boolean(room) === Boolean(dispatch)) {
    throw new UsageError('give exactly one of --room <id> or --dispatch <rule>');
  }
  const vad = values['vad'];
  if (vad !== 'silero' && vad !== 'energy') {
    throw new UsageError(`--vad must be silero or energy, got "${vad}"`);
  }
  const bargeInMs = parseIntOption('barge-in-ms', values['barge-in-ms'], 0, 10_000) ?? 300;
  const turns: TurnTakingOptions = {
    vad,
    endOfTurnSilenceMs:
      parseIntOption('end-of-turn-ms', values['end-of-turn-ms'], 100, 10_000) ?? 500,
    bargeIn: bargeInMs === 0 ? false : { minSpeechMs: bargeInMs },
  };
  const phrasesFile = values['phrases-file'];
  const phrases = phrasesFile
    ? (await readFile(phrasesFile, 'utf8'))
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : undefined;
  const definition = buildAgent(name, {
    turns,
    phrases,
    provider: values['provider'],
    mode: values['mode'],
    baseURL: values['openai-base-url'],
  });
  const rule = dispatch ? parseRule(dispatch, name) : undefined;
  const log = createAgentLogger(values['log-level'] ?? 'info');
  const host = new AgentHost({
    serverUrl: server,
    managementToken: token,
    agents: [definition],
    maxSessions: parseIntOption('max-sessions', values['max-sessions'], 1, 10_000) ?? 32,
    log,
  });
  const drainMs = (parseIntOption('drain-timeout', values['drain-timeout'], 0, 3600) ?? 10) * 1000;
  try {
    await host.start();
  } catch (err) {
    process.stderr.write(`shoal agent: ${describeStartError(err, server)}\n`);
    return 1;
  }
  let failed = false;
  host.on('sessionEnded', (session, error) => {
    if (error) {
      failed = true;
      process.stderr.write(
        `shoal agent: ${name} in room ${session.roomId} ended: ${error.message}\n`,
      );
    }
  });
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  try {
    if (room) {
      const session = await host.join(room, name);
      const ended = session.done.then(() => 'session ended');
      const why = await Promise.race([ended, stopped]);
      log.info({ component: 'cli', why }, 'stopping');
      await host.drain(drainMs);
      return failed ? 1 : 0;
    }
    await host.dispatch(rule as NonNullable<typeof rule>);
    const signal = await stopped;
    log.info({ component: 'cli', signal }, 'draining');
    await host.drain(drainMs);
    return 0;
  } catch (err) {
    process.stderr.write(`shoal agent: ${describeStartError(err, server)}\n`);
    await host.close();
    return 1;
  }
}

function parseRule(text: string, name: string): ReturnType<typeof parseDispatchRule> {
  try {
    return parseDispatchRule(text, name);
  } catch (err) {
    throw new UsageError(`--dispatch: ${(err as Error).message}`);
  }
}

function buildAgent(
  name: string,
  o: {
    turns: TurnTakingOptions;
    phrases: string[] | undefined;
    provider: string | undefined;
    mode: string | undefined;
    baseURL: string | undefined;
  },
): AgentDefinition {
  const openai = o.baseURL ? { baseURL: o.baseURL } : {};
  switch (name) {
    case 'echo':
      return echoAgent({ turns: o.turns });
    case 'transcriber': {
      if (o.provider && o.provider !== 'openai' && o.provider !== 'local') {
        throw new UsageError(`--provider must be openai or local, got "${o.provider}"`);
      }
      return transcriberAgent({
        turns: o.turns,
        openai,
        ...(o.provider ? { stt: o.provider === 'local' ? 'pocketsphinx' : 'openai' } : {}),
        ...(o.phrases ? { phrases: o.phrases } : {}),
      });
    }
    default: {
      if (o.mode && !['realtime', 'cascade', 'local'].includes(o.mode)) {
        throw new UsageError(`--mode must be realtime, cascade or local, got "${o.mode}"`);
      }
      return assistantAgent({
        turns: o.turns,
        openai,
        ...(o.mode ? { mode: o.mode as 'realtime' | 'cascade' | 'local' } : {}),
        ...(o.phrases ? { phrases: o.phrases } : {}),
      });
    }
  }
}

function describeStartError(err: unknown, server: string): string {
  if (err instanceof UnauthorizedError) {
    return `the server at ${server} refused the management token (${err.statusCode} ${err.details}); check --management-token / SHOAL_MANAGEMENT_TOKEN`;
  }
  if (err instanceof ServerUnreachableError) {
    return err.message;
  }
  if (err instanceof ShoalError) {
    return `${err.message} [${err.code}]`;
  }
  return (err as Error).stack ?? String(err);
}
