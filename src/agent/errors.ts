import { ShoalError, type ErrorCode } from '../protocol/index.js';

/** Why an agent socket closed, as the server said it (fishjam-protocol.md §3.4). */
export type CloseKind =
  'unauthorized' | 'peerRemoved' | 'roomStopped' | 'replaced' | 'protocol' | 'shutdown' | 'dropped';

/** An agent socket closed. `fatal` ones (bad token, peer or room gone, replaced) are not retried. */
export class AgentSocketClosedError extends ShoalError {
  readonly kind: CloseKind;
  readonly closeCode: number;
  readonly reason: string;
  readonly fatal: boolean;

  constructor(kind: CloseKind, closeCode: number, reason: string) {
    const { code, fatal, what } = CLOSE_KINDS[kind];
    super(code, `agent socket closed: ${what} (${closeCode}${reason ? ` "${reason}"` : ''})`);
    this.kind = kind;
    this.closeCode = closeCode;
    this.reason = reason;
    this.fatal = fatal;
  }
}

const CLOSE_KINDS: Record<CloseKind, { code: ErrorCode; fatal: boolean; what: string }> = {
  unauthorized: { code: 'UNAUTHORIZED', fatal: true, what: 'the agent token was refused' },
  peerRemoved: { code: 'PEER_NOT_FOUND', fatal: true, what: 'the agent peer was removed' },
  roomStopped: { code: 'ROOM_NOT_FOUND', fatal: true, what: 'the room was deleted' },
  replaced: { code: 'CONFLICT', fatal: true, what: 'another connection took over this agent peer' },
  protocol: { code: 'BAD_REQUEST', fatal: true, what: 'the server refused a message' },
  shutdown: { code: 'UNAVAILABLE', fatal: false, what: 'the server is shutting down' },
  dropped: { code: 'UNAVAILABLE', fatal: false, what: 'the connection dropped' },
};

/** Maps a close code and reason to its kind (pure). */
export function classifyClose(closeCode: number, reason: string): CloseKind {
  const r = reason.toLowerCase();
  if (/(invalid|expired|missing) token/.test(r)) {
    return 'unauthorized';
  }
  if (r === 'peer removed' || r === 'peer not found') {
    return 'peerRemoved';
  }
  if (r === 'room stopped' || r === 'room not found') {
    return 'roomStopped';
  }
  if (r.startsWith('replaced')) {
    return 'replaced';
  }
  if (closeCode === 1001 || r.includes('shutting down')) {
    return 'shutdown';
  }
  if (
    closeCode === 1003 ||
    closeCode === 1007 ||
    (closeCode === 1008 && !r.includes('timeout')) ||
    r === 'unauthenticated'
  ) {
    return 'protocol';
  }
  return 'dropped';
}

export function closeError(closeCode: number, reason: string): AgentSocketClosedError {
  return new AgentSocketClosedError(classifyClose(closeCode, reason), closeCode, reason);
}

/** Wraps anything thrown into a coded error (never a string). */
export function toShoalError(err: unknown, code: ErrorCode = 'INTERNAL'): ShoalError {
  if (err instanceof ShoalError) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ShoalError(code, message, { cause: err });
}
