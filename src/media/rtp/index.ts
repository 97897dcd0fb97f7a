/** RTP for Opus: (de)packetizing, numbering, reordering with loss reports, and the 20 ms pacer. */
export { RTP_HEADER_LENGTH, packetizeOpus, parseRtp, serializeRtp } from './rtp-packet.js';
export type { OpusRtpInit, RtpHeaderExtension, RtpPacket, RtpPacketInit } from './rtp-packet.js';
export {
  DEFAULT_OPUS_PAYLOAD_TYPE,
  OPUS_RTP_CLOCK_RATE_HZ,
  RtpSequencer,
} from './rtp-sequencer.js';
export type { RtpSequencerOptions, RtpStamp } from './rtp-sequencer.js';
export { SEQUENCE_MODULO, sequenceAdd, sequenceDiff } from './sequence-number.js';
export { ReorderBuffer } from './reorder-buffer.js';
export type { ReorderBufferOptions, ReorderOutput, ReorderStats } from './reorder-buffer.js';
export { Pacer, systemPacerClock } from './pacer.js';
export type { PacerClock, PacerOptions, PacerStats } from './pacer.js';
