import { ShoalError } from '../protocol/index.js';

/** Where hosted Fishjam serves a Fishjam ID that is not a URL (what the official SDKs do). */
export const HOSTED_FISHJAM_BASE = 'https://fishjam.io/api/v1/connect';

/** The REST and WebSocket addresses of one Shoal or Fishjam server. */
export interface ServerUrls {
  /** `http(s)://host[:port][/prefix]`, no trailing slash. */
  readonly base: string;
  /** REST URL of `path` (which starts with `/`). */
  http(path: string): string;
  /** WebSocket URL of `path` (which starts with `/`). */
  ws(path: string): string;
}

/**
 * Accepts a bare origin (`http://127.0.0.1:5002`), a prefixed URL
 * (`https://fishjam.io/api/v1/connect/<id>`, also served by Shoal), a `ws(s)://` URL of either
 * shape, or a bare hosted Fishjam ID. Never produces the `//room` double slash.
 */
export function serverUrls(serverUrl: string): ServerUrls {
  const raw = serverUrl.trim();
  let url: URL;
  if (/^[A-Za-z0-9_-]+$/.test(raw)) {
    url = new URL(`${HOSTED_FISHJAM_BASE}/${raw}`);
  } else {
    try {
      url = new URL(raw);
    } catch {
      throw invalid(serverUrl);
    }
  }
  const scheme = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' }[
    url.protocol
  ];
  if (!scheme || !url.host) {
    throw invalid(serverUrl);
  }
  const path = url.pathname.replace(/\/+/g, '/').replace(/\/$/, '');
  const base = `${scheme}//${url.host}${path}`;
  const wsBase = `${scheme === 'https:' ? 'wss:' : 'ws:'}//${url.host}${path}`;
  return {
    base,
    http: (p) => `${base}${p}`,
    ws: (p) => `${wsBase}${p}`,
  };
}

function invalid(serverUrl: string): ShoalError {
  return new ShoalError(
    'BAD_REQUEST',
    `invalid server URL "${serverUrl}": use an http(s) URL such as http://localhost:5002 or ` +
      `https://fishjam.io/api/v1/connect/<fishjam-id>`,
  );
}
