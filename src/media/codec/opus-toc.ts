/**
 * The Opus TOC byte (RFC 6716 §3.1): configuration (mode, bandwidth, frame duration), stereo
 * flag and frame-count code.
 */

export type OpusMode = 'silk' | 'hybrid' | 'celt';

export interface OpusToc {
  config: number;
  mode: OpusMode;
  /** Duration of each frame in the packet, in ms (2.5 … 60). */
  frameDurationMs: number;
  stereo: boolean;
  /** 0: one frame; 1: two equal frames; 2: two frames; 3: an arbitrary count. */
  frameCountCode: number;
}

const SILK_DURATIONS_MS = [10, 20, 40, 60];
const HYBRID_DURATIONS_MS = [10, 20];
const CELT_DURATIONS_MS = [2.5, 5, 10, 20];

export function parseOpusToc(toc: number): OpusToc {
  const config = toc >> 3;
  const stereo = (toc & 0x04) !== 0;
  const frameCountCode = toc & 0x03;
  if (config < 12) {
    return {
      config,
      mode: 'silk',
      frameDurationMs: SILK_DURATIONS_MS[config & 3] ?? 20,
      stereo,
      frameCountCode,
    };
  }
  if (config < 16) {
    return {
      config,
      mode: 'hybrid',
      frameDurationMs: HYBRID_DURATIONS_MS[config & 1] ?? 20,
      stereo,
      frameCountCode,
    };
  }
  return {
    config,
    mode: 'celt',
    frameDurationMs: CELT_DURATIONS_MS[config & 3] ?? 20,
    stereo,
    frameCountCode,
  };
}

/** CELT, fullband, 20 ms, mono, one frame. */
export const DEFAULT_TOC = (31 << 3) | 0;

/**
 * A one-byte packet (TOC only, code 0: a single zero-length frame) in the same mode, bandwidth
 * and channel layout as `lastToc`, with 10 or 20 ms frames. libopus treats a zero-length frame
 * as lost and runs its packet-loss concealment for exactly that duration.
 */
export function concealmentPacket(lastToc: number, durationMs: 10 | 20): Uint8Array {
  const { config, mode } = parseOpusToc(lastToc);
  let concealConfig: number;
  if (mode === 'silk') {
    concealConfig = (config & ~3) + (durationMs === 20 ? 1 : 0);
  } else if (mode === 'hybrid') {
    concealConfig = (config & ~1) + (durationMs === 20 ? 1 : 0);
  } else {
    concealConfig = (config & ~3) + (durationMs === 20 ? 3 : 2);
  }
  return Uint8Array.of((concealConfig << 3) | (lastToc & 0x04));
}
