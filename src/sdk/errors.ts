import { ShoalError, type ErrorCode } from '../protocol/index.js';

/** A REST call the server answered with an error status (`{"errors": …}` body). */
export class FishjamApiError extends ShoalError {
  /** HTTP status the server answered. */
  readonly statusCode: number;
  /** The server's `errors` (or `detail`) text. */
  readonly details: string;
  readonly method: string;
  readonly path: string;

  constructor(
    code: ErrorCode,
    request: { method: string; path: string },
    statusCode: number,
    details: string,
  ) {
    super(code, `${request.method} ${request.path} failed: ${statusCode} ${details}`);
    this.statusCode = statusCode;
    this.details = details;
    this.method = request.method;
    this.path = request.path;
  }
}

/** 400: the request was malformed. */
export class BadRequestError extends FishjamApiError {}
/** 401/403: the management token is missing or wrong. */
export class UnauthorizedError extends FishjamApiError {}
/** 404 for anything but a room or a peer. */
export class NotFoundError extends FishjamApiError {}
/** 404: the room does not exist. */
export class RoomNotFoundError extends NotFoundError {}
/** 404: the peer does not exist. */
export class PeerNotFoundError extends NotFoundError {}
/** 409: the request conflicts with the room's state. */
export class ConflictError extends FishjamApiError {}
/** 503: the server (or the room: peer limit) cannot take it now. */
export class ServiceUnavailableError extends FishjamApiError {}
/** Any other status. */
export class UnknownApiError extends FishjamApiError {}

/** The server could not be reached at all (refused, DNS, reset). */
export class ServerUnreachableError extends ShoalError {
  constructor(url: string, cause: unknown) {
    const why = describeCause(cause);
    super('UNAVAILABLE', `cannot reach the server at ${url}: ${why}`, { cause });
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return inner?.code ?? inner?.message ?? (cause instanceof Error ? cause.message : String(cause));
}

/** Which kind of entity a 404 is about (the official SDK's mapping). */
export type NotFoundEntity = 'room' | 'peer';

/** Maps a status and an error body to a typed error, as js-server-sdk's mapper does. */
export function apiErrorFrom(
  request: { method: string; path: string },
  statusCode: number,
  body: unknown,
  entity?: NotFoundEntity,
): FishjamApiError {
  const details = errorDetails(body);
  switch (statusCode) {
    case 400:
      return new BadRequestError('BAD_REQUEST', request, statusCode, details);
    case 401:
    case 403:
      return new UnauthorizedError('UNAUTHORIZED', request, statusCode, details);
    case 404: {
      const about =
        entity ?? (/^room /i.test(details) ? 'room' : /^peer /i.test(details) ? 'peer' : undefined);
      if (about === 'room') {
        return new RoomNotFoundError('ROOM_NOT_FOUND', request, statusCode, details);
      }
      if (about === 'peer') {
        return new PeerNotFoundError('PEER_NOT_FOUND', request, statusCode, details);
      }
      return new NotFoundError('NOT_FOUND', request, statusCode, details);
    }
    case 409:
      return new ConflictError('CONFLICT', request, statusCode, details);
    case 503:
      return new ServiceUnavailableError(
        /peers limit/i.test(details) ? 'PEER_LIMIT_REACHED' : 'UNAVAILABLE',
        request,
        statusCode,
        details,
      );
    default:
      return new UnknownApiError(
        statusCode >= 500 ? 'INTERNAL' : 'BAD_REQUEST',
        request,
        statusCode,
        details,
      );
  }
}

function errorDetails(body: unknown): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const value = record['detail'] ?? record['errors'];
    if (typeof value === 'string') {
      return value;
    }
    if (value !== undefined) {
      return JSON.stringify(value);
    }
  }
  if (typeof body === 'string' && body.length > 0) {
    return body.slice(0, 200);
  }
  return 'Unknown error';
}
