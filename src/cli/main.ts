import { agent } from './agent.js';
import { demo } from './demo.js';
import { serve, SERVE_USAGE } from './serve.js';
import { UsageError } from './options.js';

const HELP = `Usage: shoal <command> [options]

Shoal: a self-hosted voice-room server that speaks Fishjam's protocols, with a runtime for
server-side AI agents.

Commands:
  serve     run the room server (${SERVE_USAGE})
  agent     run a ready agent in rooms: echo, transcriber, assistant
  demo      the server with the demo page and embedded agents (what npm start runs)

Run "shoal <command> --help" for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'agent':
        return await agent(rest);
      case 'demo':
        return await demo(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`shoal: ${err.message}\n${command ? '' : HELP}`);
      return 2;
    }
    process.stderr.write(`shoal: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
