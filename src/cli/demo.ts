import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assistantAgent } from '../../agents/assistant/index.js';
import { echoAgent } from '../../agents/echo/index.js';
import { transcriberAgent } from '../../agents/transcriber/index.js';
import { AgentHost, type AgentDefinition, type AgentSession } from '../agent/index.js';
import { buildServer, createLogger, type DemoOptions, type ShoalServer } from '../server/index.js';
import { DemoRooms } from './demo-rooms.js';
import { formatHelp, readOptions, type OptionSpec } from './options.js';
import { serveOptions, serverConfigFrom, untilSignal } from './serve.js';

export const DEMO_USAGE = 'Usage: shoal demo [options]   (npm start)';

const demoOptions: readonly OptionSpec[] = [
  // Loopback by default: a browser on this machine connects with no setup.
  ...serveOptions.map((o) => (o.name === 'host' ? { ...o, default: '127.0.0.1' } : o)),
  {
    name: 'vad',
    env: 'SHOAL_AGENT_VAD',
    help: "agents' voice activity detector: silero or energy",
    default: 'silero',
  },
];

/** The agent that writes captions next to the one the visitor picked (when pocketsphinx exists). */
const CAPTIONS = 'captions';

/**
 * Without an OpenAI key, captions and the offline assistant use pocketsphinx with a grammar of
 * these phrases (its open-vocabulary model does poorly on many voices); the page lists them.
 */
export const OFFLINE_PHRASES: readonly string[] = [
  'hello from the shoal voice room server',
  'the quick brown fox jumps over the lazy dog',
  'hello',
  'how are you',
  'what time is it',
  'tell me a joke',
  'what is the weather like today',
  'thank you',
  'goodbye',
];

/**
 * `shoal demo`: the room server in demo mode (the page at `/`, the sandbox room manager, the
 * live feed) plus an embedded agent host that reaches the server only through its sockets,
 * like any agent process would.
 */
export async function demo(args: string[]): Promise<number> {
  const { values, help } = readOptions(args, demoOptions);
  if (help) {
    process.stdout.write(
      formatHelp(
        DEMO_USAGE,
        'Runs the server with the demo page at / and an embedded agent host (echo, transcriber, assistant).',
        demoOptions,
      ),
    );
    return 0;
  }
  const config = serverConfigFrom(values);
  const log = createLogger(config.logLevel);
  const vad = values['vad'] === 'energy' ? 'energy' : 'silero';
  const engines = { pocketsphinx: onPath('pocketsphinx_continuous'), espeak: onPath('espeak-ng') };
  const hasKey = Boolean(process.env['OPENAI_API_KEY']);
  const turns = { vad } as const;
  const phrases = hasKey ? {} : { phrases: OFFLINE_PHRASES, pronunciations: { shoal: 'SH OW L' } };

  const definitions: AgentDefinition[] = [echoAgent({ turns })];
  const choices: DemoOptions['agents'] = [
    { name: 'echo', label: 'Echo (repeats you)', available: true },
  ];
  if (hasKey || engines.pocketsphinx) {
    definitions.push(transcriberAgent({ output: () => {}, turns, ...phrases }));
    choices.push({ name: 'transcriber', label: 'Transcriber (captions only)', available: true });
  } else {
    choices.push({
      name: 'transcriber',
      label: 'Transcriber',
      available: false,
      reason: 'needs OPENAI_API_KEY or pocketsphinx',
    });
  }
  if (hasKey || (engines.pocketsphinx && engines.espeak)) {
    definitions.push(
      assistantAgent({ turns, ...(hasKey ? {} : { mode: 'local' as const, ...phrases }) }),
    );
    choices.push({
      name: 'assistant',
      label: hasKey
        ? 'Assistant (OpenAI Realtime)'
        : 'Assistant (offline: pocketsphinx + espeak-ng)',
      available: true,
    });
  } else {
    choices.push({
      name: 'assistant',
      label: 'Assistant',
      available: false,
      reason: 'needs OPENAI_API_KEY',
    });
  }
  const captions = hasKey || engines.pocketsphinx;
  if (captions) {
    definitions.push(transcriberAgent({ name: CAPTIONS, output: () => {}, turns, ...phrases }));
  }

  // The server's callbacks need the demo rooms, which need the host, which needs the port.
  const late: { rooms?: DemoRooms } = {};
  const server: ShoalServer = buildServer(config, {
    log,
    demo: {
      webRoot: webRoot(),
      agents: choices,
      ...(hasKey ? {} : { phrases: [...OFFLINE_PHRASES] }),
      onPeerCreated: ({ roomId, query }) => {
        const asked = query['agent'] ?? 'echo';
        const agent = choices.some((c) => c.name === asked && c.available) ? asked : 'echo';
        late.rooms?.want(roomId, captions && agent !== 'transcriber' ? [agent, CAPTIONS] : [agent]);
      },
    },
  });
  const { port } = await server.listen();
  const feed = server.feed;
  const host = new AgentHost({
    serverUrl: `http://127.0.0.1:${port}`,
    managementToken: config.managementToken,
    agents: definitions,
    log,
  });
  host.on('sessionStarted', (session: AgentSession) =>
    forward(session, (roomId, event) => feed.publish(roomId, event)),
  );
  const demoRooms = new DemoRooms({ host, rooms: server.rooms, log });
  late.rooms = demoRooms;
  // Agents join when a person connects and leave after the last one (peer type 1: WebRTC).
  server.bus.on('notification', (n) => {
    if (n.kind === 'peerConnected' && (n.body as { peerType?: number }).peerType === 1) {
      void demoRooms.personConnected(n.roomId);
    } else if (n.kind === 'peerDisconnected' || n.kind === 'peerDeleted') {
      void demoRooms.personLeft(n.roomId);
    } else if (n.kind === 'roomDeleted') {
      demoRooms.roomDeleted(n.roomId);
    }
  });

  process.stdout.write(
    `shoal: demo at http://127.0.0.1:${port}/ (agents: ${choices
      .filter((c) => c.available)
      .map((c) => c.name)
      .join(', ')})\n`,
  );
  await untilSignal(log, async () => {
    demoRooms.close();
    await host.drain(5_000);
    await host.close();
    await server.close();
  });
  return 0;
}

/** Agent session events → the room's live feed (captions and agent state). */
function forward(
  session: AgentSession,
  publish: (roomId: string, event: { type: string; [k: string]: unknown }) => void,
): void {
  const agent = session.agentName;
  session.on('transcript', (t) =>
    publish(t.roomId, {
      type: 'transcript',
      agent,
      peerId: t.speakerId,
      role: t.role,
      text: t.text,
      final: t.final,
    }),
  );
  session.on('state', (state) => publish(session.roomId, { type: 'state', agent, state }));
  session.on('metrics', (metrics) =>
    publish(session.roomId, { type: 'metrics', agent, ...metrics }),
  );
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** dist/web next to the built CLI, or (running from source) the repository's dist/web. */
function webRoot(): string {
  for (const candidate of ['../../web/', '../../dist/web/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}index.html`)) {
      return path;
    }
  }
  throw new Error('the demo page is not built: run "npm run build"');
}
