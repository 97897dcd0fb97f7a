/** Opus encoding and decoding (native libopus via @discordjs/opus), 48 kHz mono. */
export {
  DEFAULT_OPUS_BITRATE_BPS,
  DEFAULT_OPUS_COMPLEXITY,
  createOpusEncoder,
} from './opus-encoder.js';
export type { OpusEncoder, OpusEncoderOptions } from './opus-encoder.js';
export {
  DEFAULT_CONCEALMENT_LIMIT_MS,
  MAX_CONCEALMENT_MS,
  createOpusDecoder,
} from './opus-decoder.js';
export type { OpusDecoder, OpusDecoderOptions } from './opus-decoder.js';
export { OPUS_SAMPLE_RATE_HZ } from './opus-native.js';
export { parseOpusToc } from './opus-toc.js';
export type { OpusMode, OpusToc } from './opus-toc.js';
