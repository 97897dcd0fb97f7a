import { ShoalError } from '../protocol/index.js';

/** Bounded exponential backoff with jitter. */
export interface BackoffOptions {
  /** Attempts after the first failure before giving up. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0…1: fraction of each delay that is randomised (default 0.2). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  maxAttempts: 6,
  initialDelayMs: 100,
  maxDelayMs: 3000,
  jitter: 0.2,
};

/** Delay before retry number `attempt` (1-based). Pure: pass `random` in [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random = 0.5): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ShoalError('BAD_REQUEST', `invalid retry attempt ${attempt}`);
  }
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1));
  const jitter = options.jitter ?? 0.2;
  return Math.round(base * (1 - jitter + 2 * jitter * random));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason as a coded error (CLOSED when it is not one). */
export function abortReason(signal: AbortSignal): ShoalError {
  const reason: unknown = signal.reason;
  if (reason instanceof ShoalError) {
    return reason;
  }
  return new ShoalError('CLOSED', reason instanceof Error ? reason.message : 'aborted', {
    cause: reason,
  });
}
