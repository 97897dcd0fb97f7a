import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
};

/** Serves a built front end (the demo page) from `root`; `/` is `index.html`. */
export function staticRoutes(root: string): FastifyPluginAsync {
  const base = resolve(root) + sep;
  return async (app) => {
    app.get('/', async (_request, reply) => send(reply, join(base, 'index.html')));
    app.get('/assets/*', async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const file = normalize(join(base, 'assets', rest));
      if (!file.startsWith(base)) {
        return reply.code(404).send({ errors: 'Not found' });
      }
      return send(reply, file);
    });
  };

  async function send(reply: FastifyReply, file: string): Promise<unknown> {
    try {
      const body = await readFile(file);
      return reply
        .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', 'no-cache')
        .send(body);
    } catch {
      return reply.code(404).send({ errors: 'Not found' });
    }
  }
}
