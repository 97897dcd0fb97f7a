import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a peer-scoped token grants. */
export type TokenKind = 'peer' | 'agent' | 'viewer' | 'streamer';

export interface TokenClaims {
  kind: TokenKind;
  roomId: string;
  /** Peer id for peer/agent tokens; a fresh id for viewer/streamer tokens. */
  subjectId: string;
  /** Bumped by refresh_token; tokens of an older generation no longer authenticate. */
  generation: number;
  /** Expiry, ms since the epoch. */
  expiresAtMs: number;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'missing token' | 'invalid token' | 'expired token' };

const KINDS: readonly TokenKind[] = ['peer', 'agent', 'viewer', 'streamer'];

/**
 * Opaque tokens: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, claims)).
 * The SDKs never parse tokens, so the format is ours.
 */
export class TokenSigner {
  readonly #secret: Buffer;
  readonly #now: () => number;

  constructor(secret: Buffer, now: () => number = Date.now) {
    if (secret.length < 16) {
      throw new TypeError('token secret must be at least 16 bytes');
    }
    this.#secret = secret;
    this.#now = now;
  }

  sign(claims: Omit<TokenClaims, 'expiresAtMs'>, ttlMs: number): string {
    const full: TokenClaims = { ...claims, expiresAtMs: this.#now() + ttlMs };
    const body = Buffer.from(
      JSON.stringify([full.kind, full.roomId, full.subjectId, full.generation, full.expiresAtMs]),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  verify(token: string | undefined | null): TokenCheck {
    if (!token) {
      return { ok: false, reason: 'missing token' };
    }
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 2048) {
      return { ok: false, reason: 'invalid token' };
    }
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      return { ok: false, reason: 'invalid token' };
    }
    const claims = parseClaims(body);
    if (!claims) {
      return { ok: false, reason: 'invalid token' };
    }
    if (claims.expiresAtMs <= this.#now()) {
      return { ok: false, reason: 'expired token' };
    }
    return { ok: true, claims };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}

function parseClaims(body: string): TokenClaims | undefined {
  try {
    const raw: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (!Array.isArray(raw) || raw.length !== 5) {
      return undefined;
    }
    const [kind, roomId, subjectId, generation, expiresAtMs] = raw as unknown[];
    if (
      !KINDS.includes(kind as TokenKind) ||
      typeof roomId !== 'string' ||
      typeof subjectId !== 'string' ||
      typeof generation !== 'number' ||
      typeof expiresAtMs !== 'number'
    ) {
      return undefined;
    }
    return { kind: kind as TokenKind, roomId, subjectId, generation, expiresAtMs };
  } catch {
    return undefined;
  }
}

/**
 * Compares a presented secret with the configured one in constant time. Both sides are hashed
 * first so neither the length nor a common prefix leaks through timing.
 */
export function safeEqualSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
