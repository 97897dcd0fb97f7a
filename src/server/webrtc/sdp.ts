import { ShoalError } from '../../protocol/index.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One m-section of a client's offer, as much as the signaling needs of it. */
export interface OfferedMedia {
  index: number;
  /** `audio`, `video`, `application`, or whatever else the line says. */
  kind: string;
  mid: string | undefined;
  /** 0 means the m-section is rejected or stopped. */
  port: number;
  /** From the offerer's point of view. */
  direction: Direction;
  /** Lower-cased codec names from a=rtpmap, e.g. `opus`, `vp8`, `h264`. */
  codecs: string[];
}

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** More m-sections than any real client sends; a guard against absurd offers. */
const MAX_MEDIA_SECTIONS = 256;

function rejected(reason: string): ShoalError {
  return new ShoalError('BAD_REQUEST', `SDP offer rejected: ${reason}`);
}

/**
 * Reads the m-sections of an SDP offer. Throws BAD_REQUEST ("SDP offer rejected: …") when the
 * text is not SDP or an m-section cannot be used with BUNDLE (no a=mid).
 */
export function parseOffer(sdp: string): OfferedMedia[] {
  if (typeof sdp !== 'string' || !/^v=0\r?\n/.test(sdp)) {
    throw rejected('not an SDP description (it must start with "v=0")');
  }
  const media: OfferedMedia[] = [];
  let current: OfferedMedia | undefined;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const match = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)(?: (.*))?$/.exec(line);
      if (!match) {
        throw rejected(`malformed media line "${line.slice(0, 80)}"`);
      }
      if (media.length >= MAX_MEDIA_SECTIONS) {
        throw rejected(`more than ${MAX_MEDIA_SECTIONS} media sections`);
      }
      current = {
        index: media.length,
        kind: match[1] ?? '',
        mid: undefined,
        port: Number(match[2]),
        direction: 'sendrecv',
        codecs: [],
      };
      media.push(current);
      continue;
    }
    if (!current || !line.startsWith('a=')) {
      continue;
    }
    const attribute = line.slice(2);
    if (DIRECTIONS.has(attribute)) {
      current.direction = attribute as Direction;
    } else if (attribute.startsWith('mid:')) {
      current.mid = attribute.slice(4).trim();
    } else if (attribute.startsWith('rtpmap:')) {
      const codec = /^rtpmap:\d+ ([^/\s]+)\//.exec(attribute);
      if (codec?.[1]) {
        current.codecs.push(codec[1].toLowerCase());
      }
    }
  }
  for (const m of media) {
    if (!m.mid) {
      throw rejected(`media section ${m.index} (${m.kind}) has no a=mid`);
    }
  }
  const mids = media.map((m) => m.mid);
  if (new Set(mids).size !== mids.length) {
    throw rejected('two media sections share a mid');
  }
  return media;
}

/**
 * Checks that every live audio/video m-section offers a codec the server forwards: the same
 * check werift makes ("negotiate codecs failed"), but with a message a client can act on.
 */
export function checkCodecs(media: readonly OfferedMedia[], videoCodecs: readonly string[]): void {
  for (const m of media) {
    if (m.port === 0) {
      continue;
    }
    if (m.kind === 'audio' && !m.codecs.includes('opus')) {
      throw rejected(
        `audio section mid=${m.mid} offers no supported codec (offered: ${m.codecs.join(', ') || 'none'}; Shoal needs opus/48000/2)`,
      );
    }
    if (m.kind === 'video' && !m.codecs.some((c) => videoCodecs.includes(c))) {
      throw rejected(
        `video section mid=${m.mid} offers no supported codec (offered: ${m.codecs.join(', ') || 'none'}; this room uses ${videoCodecs.join(' or ').toUpperCase()})`,
      );
    }
  }
}

/**
 * Final touches on werift's answer:
 * - an m-section the offer kept open but we do not use is answered `inactive` on port 9, not
 *   rejected with port 0 (werift's choice): a rejected section would stop the client's
 *   transceiver, while Fishjam's clients count their recvonly transceivers as slots that are
 *   never reused;
 * - the BUNDLE group lists exactly the sections with a port.
 */
export function finalizeAnswer(sdp: string, offered: readonly OfferedMedia[]): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  let section = -1;
  const bundled: string[] = [];
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      section += 1;
      const offer = offered[section];
      const match = /^m=(\S+) (\d+) (.*)$/.exec(line);
      if (offer && match && match[2] === '0' && offer.port !== 0 && offer.kind !== 'application') {
        out.push(`m=${match[1]} 9 ${match[3]}`);
      } else {
        out.push(line);
      }
      const port = offer && offer.port !== 0 ? 'open' : 'closed';
      if (offer?.mid && port === 'open') {
        bundled.push(offer.mid);
      }
      continue;
    }
    out.push(line);
  }
  return out
    .map((line) =>
      line.startsWith('a=group:BUNDLE') && bundled.length > 0
        ? `a=group:BUNDLE ${bundled.join(' ')}`
        : line,
    )
    .join(eol);
}
