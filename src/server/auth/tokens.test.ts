import { describe, expect, it } from 'vitest';
import { TokenSigner, safeEqualSecret } from './tokens.js';

const secret = Buffer.alloc(32, 7);

describe('TokenSigner', () => {
  it('signs claims that verify, and only with the same secret', () => {
    const signer = new TokenSigner(secret);
    const token = signer.sign(
      { kind: 'agent', roomId: 'r1', subjectId: 'p1', generation: 2 },
      60_000,
    );
    const check = signer.verify(token);
    expect(check).toMatchObject({
      ok: true,
      claims: { kind: 'agent', roomId: 'r1', subjectId: 'p1', generation: 2 },
    });
    expect(new TokenSigner(Buffer.alloc(32, 8)).verify(token)).toEqual({
      ok: false,
      reason: 'invalid token',
    });
  });

  it('rejects tampered, garbage, missing and expired tokens with Fishjam reasons', () => {
    let now = 1_000_000;
    const signer = new TokenSigner(secret, () => now);
    const token = signer.sign({ kind: 'peer', roomId: 'r', subjectId: 'p', generation: 0 }, 1000);
    const [body, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify(['agent', 'r', 'p', 0, now + 1000])).toString(
      'base64url',
    );
    expect(signer.verify(`${forged}.${mac}`)).toEqual({ ok: false, reason: 'invalid token' });
    expect(signer.verify(`${body}.${mac.slice(0, -2)}AA`)).toEqual({
      ok: false,
      reason: 'invalid token',
    });
    expect(signer.verify('garbage')).toEqual({ ok: false, reason: 'invalid token' });
    expect(signer.verify('')).toEqual({ ok: false, reason: 'missing token' });
    expect(signer.verify(undefined)).toEqual({ ok: false, reason: 'missing token' });
    now += 1000;
    expect(signer.verify(token)).toEqual({ ok: false, reason: 'expired token' });
  });

  it('refuses short secrets', () => {
    expect(() => new TokenSigner(Buffer.alloc(8))).toThrow(/16 bytes/);
  });
});

describe('safeEqualSecret', () => {
  it('matches only the exact secret, never an empty one', () => {
    expect(safeEqualSecret('s3cret-token', 's3cret-token')).toBe(true);
    expect(safeEqualSecret('s3cret-token!', 's3cret-token')).toBe(false);
    expect(safeEqualSecret('s3cret', 's3cret-token')).toBe(false);
    expect(safeEqualSecret('', '')).toBe(false);
  });
});
