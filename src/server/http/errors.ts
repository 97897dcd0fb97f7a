import type { FastifyError, FastifyInstance } from 'fastify';
import { ShoalError, isShoalError } from '../../protocol/index.js';
import type { Logger } from '../logger.js';

/**
 * Every error leaves as `{"errors": "<message>"}` with the status the official SDK maps.
 * Unexpected errors are logged and answer 500 without internals.
 */
export function installErrorHandling(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: FastifyError | ShoalError | Error, request, reply) => {
    if (isShoalError(error)) {
      return reply.code(error.status).send({ errors: error.message });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ errors: 'Request body is too large' });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ errors: error.message });
    }
    log.error({ err: error, url: request.url, method: request.method }, 'request failed');
    return reply.code(500).send({ errors: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ errors: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
  );

  // An empty body is "no body" whatever its content type (axios labels empty POSTs as forms);
  // a non-empty body must be JSON; malformed JSON is a clear 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (String(body).trim() === '') {
      done(null, undefined);
      return;
    }
    const type = request.headers['content-type'] ?? 'none';
    done(
      new ShoalError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Unsupported content type ${type}; send application/json`,
      ),
      undefined,
    );
  });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(
        new ShoalError('BAD_REQUEST', `Invalid JSON body: ${(err as Error).message}`),
        undefined,
      );
    }
  });
}
