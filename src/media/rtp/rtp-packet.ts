import { ShoalError } from '../../protocol/errors.js';

/** Fixed RTP header length (RFC 3550 §5.1). */
export const RTP_HEADER_LENGTH = 12;

export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte extensions). */
  profile: number;
  /** Extension body (a multiple of 4 bytes). */
  data: Uint8Array;
}

/** A parsed RTP packet. `payload` and `extension.data` are views of the parsed bytes (no copy). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: RtpHeaderExtension | undefined;
  /** Padding bytes removed from the end (0 when the P bit is clear). */
  paddingLength: number;
  payload: Uint8Array;
}

/** What serializeRtp() needs; optional parts default to none. */
export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: RtpHeaderExtension;
  paddingLength?: number;
  payload: Uint8Array;
}

function invalid(message: string): ShoalError {
  return new ShoalError('INVALID_AUDIO', `invalid RTP packet: ${message}`);
}

/**
 * Parses an RTP packet (version 2; CSRC list, header extension and padding handled).
 * Throws INVALID_AUDIO on anything malformed.
 */
export function parseRtp(bytes: Uint8Array): RtpPacket {
  if (!(bytes instanceof Uint8Array)) {
    throw invalid('not bytes');
  }
  if (bytes.byteLength < RTP_HEADER_LENGTH) {
    throw invalid(`${bytes.byteLength} bytes is shorter than the 12-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  const second = view.getUint8(1);
  const version = first >> 6;
  if (version !== 2) {
    throw invalid(`version ${version}, expected 2`);
  }
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  let offset = RTP_HEADER_LENGTH;
  if (bytes.byteLength < offset + csrcCount * 4) {
    throw invalid(`truncated CSRC list (${csrcCount} entries)`);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) {
    csrcs.push(view.getUint32(offset));
    offset += 4;
  }
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (bytes.byteLength < offset + 4) {
      throw invalid('truncated header extension');
    }
    const profile = view.getUint16(offset);
    const lengthBytes = view.getUint16(offset + 2) * 4;
    offset += 4;
    if (bytes.byteLength < offset + lengthBytes) {
      throw invalid(`header extension of ${lengthBytes} bytes runs past the packet`);
    }
    extension = { profile, data: bytes.subarray(offset, offset + lengthBytes) };
    offset += lengthBytes;
  }
  let end = bytes.byteLength;
  let paddingLength = 0;
  if (hasPadding) {
    paddingLength = view.getUint8(bytes.byteLength - 1);
    if (paddingLength === 0 || paddingLength > end - offset) {
      throw invalid(`padding length ${paddingLength} does not fit`);
    }
    end -= paddingLength;
  }
  return {
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    paddingLength,
    payload: bytes.subarray(offset, end),
  };
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ShoalError('BAD_REQUEST', `RTP ${name} out of range: ${value}`);
  }
}

/** Writes an RTP packet (version 2). Throws BAD_REQUEST on out-of-range fields. */
export function serializeRtp(packet: RtpPacketInit): Uint8Array {
  const { payloadType, sequenceNumber, timestamp, ssrc, payload } = packet;
  const csrcs = packet.csrcs ?? [];
  const paddingLength = packet.paddingLength ?? 0;
  checkUint('payload type', payloadType, 0x7f);
  checkUint('sequence number', sequenceNumber, 0xffff);
  checkUint('timestamp', timestamp, 0xffff_ffff);
  checkUint('SSRC', ssrc, 0xffff_ffff);
  checkUint('padding length', paddingLength, 0xff);
  if (csrcs.length > 15) {
    throw new ShoalError('BAD_REQUEST', `at most 15 CSRCs, got ${csrcs.length}`);
  }
  for (const csrc of csrcs) {
    checkUint('CSRC', csrc, 0xffff_ffff);
  }
  const extension = packet.extension;
  if (extension !== undefined) {
    checkUint('extension profile', extension.profile, 0xffff);
    if (extension.data.byteLength % 4 !== 0 || extension.data.byteLength > 0xffff * 4) {
      throw new ShoalError('BAD_REQUEST', 'RTP header extension must be a multiple of 4 bytes');
    }
  }
  const headerLength =
    RTP_HEADER_LENGTH + csrcs.length * 4 + (extension ? 4 + extension.data.byteLength : 0);
  const bytes = new Uint8Array(headerLength + payload.byteLength + paddingLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x80 | (paddingLength > 0 ? 0x20 : 0) | (extension ? 0x10 : 0) | csrcs.length);
  view.setUint8(1, (packet.marker ? 0x80 : 0) | payloadType);
  view.setUint16(2, sequenceNumber);
  view.setUint32(4, timestamp);
  view.setUint32(8, ssrc);
  let offset = RTP_HEADER_LENGTH;
  for (const csrc of csrcs) {
    view.setUint32(offset, csrc);
    offset += 4;
  }
  if (extension) {
    view.setUint16(offset, extension.profile);
    view.setUint16(offset + 2, extension.data.byteLength / 4);
    bytes.set(extension.data, offset + 4);
    offset += 4 + extension.data.byteLength;
  }
  bytes.set(payload, offset);
  if (paddingLength > 0) {
    bytes[bytes.byteLength - 1] = paddingLength;
  }
  return bytes;
}

export interface OpusRtpInit {
  /** One Opus packet (RFC 7587: exactly one per RTP packet). */
  payload: Uint8Array;
  sequenceNumber: number;
  /** 48 kHz clock (RFC 7587), whatever the Opus bandwidth. */
  timestamp: number;
  ssrc: number;
  payloadType: number;
  /** Set on the first packet of a talk spurt. */
  marker?: boolean;
}

/** An Opus RTP packet (RFC 7587): a plain 12-byte header and the Opus packet as payload. */
export function packetizeOpus(init: OpusRtpInit): Uint8Array {
  if (!(init.payload instanceof Uint8Array) || init.payload.byteLength === 0) {
    throw new ShoalError('INVALID_AUDIO', 'an Opus RTP payload must have at least one byte');
  }
  return serializeRtp(init);
}
