/** PCM audio: the frame type, resampling, chunking, levels. Pure and synchronous (bar the one-time resampler load). */
export { AudioFrame, MAX_CHANNELS, MAX_SAMPLE_RATE_HZ } from './audio-frame.js';
export {
  HOST_IS_LITTLE_ENDIAN,
  clampToInt16,
  pcm16leBytesToSamples,
  samplesToPcm16leBytes,
} from './pcm16.js';
export type { Resampler, ResamplerEngine } from './resampler-types.js';
export {
  DEFAULT_RESAMPLER_ENGINE,
  SUPPORTED_SAMPLE_RATES_HZ,
  createResampler,
  initResamplers,
  resamplersReady,
} from './resampler.js';
export type { CreateResamplerOptions } from './resampler.js';
export { createFirResampler } from './fir-resampler.js';
export type { FirResamplerOptions } from './fir-resampler.js';
export {
  DEFAULT_SPEEX_QUALITY,
  createSpeexResampler,
  loadSpeexResampler,
} from './speex-resampler.js';
export { Chunker } from './chunker.js';
export type { ChunkerOptions } from './chunker.js';
export { bestLagCorrelation, correlation, envelope, rms, rmsDbfs } from './levels.js';
export type { LagCorrelation } from './levels.js';
export { peakFrequency, toneAmplitude, toneDbfs } from './spectrum.js';
export { generateSine, generateSpeechLike, seededRandom } from './synth.js';
export type { SineOptions, SpeechLikeOptions } from './synth.js';
