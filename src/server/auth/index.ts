export { TokenSigner, safeEqualSecret } from './tokens.js';
export type { TokenClaims, TokenCheck, TokenKind } from './tokens.js';
