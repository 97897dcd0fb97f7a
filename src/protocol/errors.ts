/**
 * One registry of coded errors. A code is never reused; its HTTP status is what the official
 * Fishjam SDKs map (400, 401, 404, 409, 413, 503). REST answers `{"errors": message}`.
 */
export const ErrorCodes = {
  BAD_REQUEST: { status: 400, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  ROOM_NOT_FOUND: { status: 404, retryable: false },
  PEER_NOT_FOUND: { status: 404, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  CONFLICT: { status: 409, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  PEER_LIMIT_REACHED: { status: 503, retryable: true },
  UNAVAILABLE: { status: 503, retryable: true },
  INVALID_STATE: { status: 500, retryable: false },
  UNSUPPORTED: { status: 400, retryable: false },
  INVALID_AUDIO: { status: 400, retryable: false },
  CLOSED: { status: 500, retryable: false },
  INTERNAL: { status: 500, retryable: true },
  /** A provider (STT, LLM, TTS, realtime model) failed or spoke garbage. */
  PROVIDER_FAILED: { status: 502, retryable: true },
  /** An agent's own handler threw; only its session ends. */
  HANDLER_FAILED: { status: 500, retryable: false },
  TIMEOUT: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class ShoalError extends Error {
  override readonly name = 'ShoalError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.retryable = ErrorCodes[code].retryable;
  }
}

export function isShoalError(err: unknown, code?: ErrorCode): err is ShoalError {
  return err instanceof ShoalError && (code === undefined || err.code === code);
}

/** Throws INVALID_STATE when an owner is used after its close(). */
export function assertOpen(closed: boolean, what: string): void {
  if (closed) {
    throw new ShoalError('CLOSED', `${what} is closed`);
  }
}
