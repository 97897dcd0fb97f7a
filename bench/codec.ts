/**
 * Codec floor: what one voice stream costs in codec work alone, per 20 ms frame.
 * Measures Opus decode/encode (native libopus), the four 48 kHz ↔ 16/24 kHz conversions for the
 * chosen resampler (speex, WebAssembly) and the alternative compared against it (polyphase
 * windowed-sinc FIR in TypeScript), the resamplers' alias/image levels, and the floor chain
 * decode → 48→16 → 16→48 → encode (and the 24 kHz variant).
 *
 * Run alone: node --import tsx bench/codec.ts [frames]   (prints JSON)
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createOpusDecoder, createOpusEncoder, parseOpusToc } from '../src/media/codec/index.js';
import type { OpusEncoderOptions } from '../src/media/codec/index.js';
import {
  DEFAULT_RESAMPLER_ENGINE,
  DEFAULT_SPEEX_QUALITY,
  createResampler,
  generateSine,
  generateSpeechLike,
  initResamplers,
  rmsDbfs,
  toneAmplitude,
} from '../src/media/pcm/index.js';
import type { Resampler, ResamplerEngine } from '../src/media/pcm/index.js';

export interface TimingStats {
  medianUs: number;
  p99Us: number;
  meanUs: number;
}

export interface EncoderBench extends TimingStats {
  options: OpusEncoderOptions;
  /** Share of packets per Opus mode (from the TOC byte). */
  modes: Record<string, number>;
  meanPacketBytes: number;
}

export interface ResamplerBench extends TimingStats {
  /** Worst alias (down) or image (up) level relative to the tone, in dB; −140 stands for "below PCM16 rounding". */
  worstStopbandDb: number;
  /** Gain at 1 kHz, in dB. */
  gain1kHzDb: number;
}

type Conversion = '48k→16k' | '48k→24k' | '16k→48k' | '24k→48k';

export interface FloorBench {
  /** decode + resample down + resample up + encode cx5, timed as one chain per frame. */
  chain: TimingStats;
  /** Sum of the four steps' medians, for comparison. */
  sumOfMediansUs: number;
  /** chain.medianUs × 50 frames/s, as % of one core. */
  percentCorePerStream: number;
}

export interface CodecBenchResult {
  node: string;
  cpu: string;
  cores: number;
  frames: number;
  signal: string;
  opus: {
    library: string;
    decode: TimingStats;
    /** The default encoder (voip, complexity 5): what the floor uses. */
    encodeCx5: EncoderBench;
    /** Complexity 10 for reference, told the content is voice (else libopus's analyser may call the synthetic signal music). */
    encodeCx10: EncoderBench;
    /** Complexity 5 with application 'audio': CELT mode at 32 kbps. */
    encodeCx5Audio: EncoderBench;
  };
  resamplers: {
    chosen: ResamplerEngine;
    speexQuality: number;
    speex: Record<Conversion, ResamplerBench>;
    fir: Record<Conversion, ResamplerBench>;
  };
  floor: {
    rate16k: FloorBench;
    rate24k: FloorBench;
  };
  durationMs: number;
}

const FRAME_48K = 960;
const WARMUP_FRAMES = 200;
const STOPBAND_FLOOR_DB = -140;

const CONVERSIONS: [Conversion, number, number][] = [
  ['48k→16k', 48_000, 16_000],
  ['48k→24k', 48_000, 24_000],
  ['16k→48k', 16_000, 48_000],
  ['24k→48k', 24_000, 48_000],
];

function stats(samplesMs: number[]): TimingStats {
  const sorted = samplesMs.slice().sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  const us = (ms: number): number => Math.round(ms * 10_000) / 10;
  return { medianUs: us(at(0.5)), p99Us: us(at(0.99)), meanUs: us(mean) };
}

/** Times fn(i) for i in 0…frames−1 after a warm-up; returns per-call stats. */
function time(frames: number, fn: (i: number) => void): TimingStats {
  for (let i = 0; i < WARMUP_FRAMES; i++) {
    fn(i);
  }
  const samples = new Array<number>(frames);
  for (let i = 0; i < frames; i++) {
    const start = performance.now();
    fn(i);
    samples[i] = performance.now() - start;
  }
  return stats(samples);
}

/** Cuts a signal into frames of `length` samples. */
function frames(signal: Int16Array, length: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let offset = 0; offset + length <= signal.length; offset += length) {
    out.push(signal.slice(offset, offset + length));
  }
  return out;
}

function db(ratio: number): number {
  return ratio === 0 ? -Infinity : 20 * Math.log10(ratio);
}

/** Alias level for down-sampling (worst over tones above the output Nyquist), image level for up-sampling. */
function stopbandDb(make: () => Resampler, inRate: number, outRate: number): number {
  let worst = -Infinity;
  const settle = (samples: Int16Array, rate: number): Int16Array => samples.subarray(rate / 10);
  if (inRate > outRate) {
    for (let toneHz = outRate / 2 + 1000; toneHz < inRate / 2 - 500; toneHz += 1000) {
      const input = generateSine({ frequencyHz: toneHz, sampleRateHz: inRate, durationMs: 500 });
      const output = settle(make().process(input), outRate);
      worst = Math.max(worst, rmsDbfs(output) - rmsDbfs(input));
    }
  } else {
    for (const toneHz of [1000, inRate * 0.375]) {
      const input = generateSine({ frequencyHz: toneHz, sampleRateHz: inRate, durationMs: 500 });
      const output = settle(make().process(input), outRate);
      const tone = toneAmplitude(output, outRate, toneHz);
      for (let k = 1; k * inRate - toneHz < outRate / 2; k++) {
        for (const imageHz of [k * inRate - toneHz, k * inRate + toneHz]) {
          if (imageHz < outRate / 2) {
            worst = Math.max(worst, db(toneAmplitude(output, outRate, imageHz) / tone));
          }
        }
      }
    }
  }
  return Math.round(Math.max(worst, STOPBAND_FLOOR_DB) * 10) / 10;
}

function gain1kHzDb(make: () => Resampler, inRate: number, outRate: number): number {
  const input = generateSine({ frequencyHz: 1000, sampleRateHz: inRate, durationMs: 500 });
  const output = make()
    .process(input)
    .subarray(outRate / 10);
  const gain = db(
    toneAmplitude(output, outRate, 1000) / toneAmplitude(input.subarray(inRate / 10), inRate, 1000),
  );
  return Math.round(gain * 1000) / 1000;
}

export async function runCodecBench(opts: { frames?: number } = {}): Promise<CodecBenchResult> {
  const began = performance.now();
  const frameCount = opts.frames ?? 3000;
  await initResamplers();

  // ~frameCount × 20 ms of speech-like audio at each rate (the 16/24 kHz versions via speex).
  const speech48k = generateSpeechLike({
    sampleRateHz: 48_000,
    durationMs: frameCount * 20,
    seed: 42,
  });
  const frames48k = frames(speech48k, FRAME_48K);
  const frameAt = (list: Int16Array[], i: number): Int16Array =>
    list[i % list.length] as Int16Array;
  const lowFrames: Record<number, Int16Array[]> = {
    16_000: frames(createResampler(48_000, 16_000).process(speech48k), 320),
    24_000: frames(createResampler(48_000, 24_000).process(speech48k), 480),
    48_000: frames48k,
  };

  // Opus.
  const bitrateBps = 32_000;
  const benchEncoder = (options: OpusEncoderOptions): EncoderBench => {
    const encoder = createOpusEncoder({ bitrateBps, ...options });
    const counts: Record<string, number> = {};
    let bytes = 0;
    const timing = time(frameCount, (i) => {
      const packet = encoder.encode(frameAt(frames48k, i));
      const mode = parseOpusToc(packet[0] ?? 0).mode;
      counts[mode] = (counts[mode] ?? 0) + 1;
      bytes += packet.length;
    });
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const modes: Record<string, number> = {};
    for (const [mode, n] of Object.entries(counts)) {
      modes[mode] = Math.round((n / total) * 1000) / 1000;
    }
    return {
      ...timing,
      options: { bitrateBps, ...options },
      modes,
      meanPacketBytes: Math.round((bytes / total) * 10) / 10,
    };
  };
  const packetEncoder = createOpusEncoder({ complexity: 5, bitrateBps });
  const packets = frames48k.map((f) => packetEncoder.encode(f));
  const decoder = createOpusDecoder();
  const decode = time(frameCount, (i) => decoder.decode(packets[i % packets.length] as Uint8Array));
  const encodeCx5 = benchEncoder({ complexity: 5 });
  const encodeCx10 = benchEncoder({ complexity: 10, signal: 'voice' });
  const encodeCx5Audio = benchEncoder({ complexity: 5, application: 'audio' });

  // Resamplers.
  const benchEngine = (engine: ResamplerEngine): Record<Conversion, ResamplerBench> => {
    const result = {} as Record<Conversion, ResamplerBench>;
    for (const [name, inRate, outRate] of CONVERSIONS) {
      const make = (): Resampler => createResampler(inRate, outRate, { engine });
      const resampler = make();
      const input = lowFrames[inRate] as Int16Array[];
      result[name] = {
        ...time(frameCount, (i) => resampler.process(frameAt(input, i))),
        worstStopbandDb: stopbandDb(make, inRate, outRate),
        gain1kHzDb: gain1kHzDb(make, inRate, outRate),
      };
      resampler.close();
    }
    return result;
  };
  const speex = benchEngine('speex');
  const fir = benchEngine('fir');

  // The floor chain with the chosen resampler: decode → down → up → encode (cx 5).
  const floorFor = (lowRate: 16_000 | 24_000): FloorBench => {
    const chainDecoder = createOpusDecoder();
    const down = createResampler(48_000, lowRate);
    const up = createResampler(lowRate, 48_000);
    const chainEncoder = createOpusEncoder({ complexity: 5, bitrateBps });
    const chain = time(frameCount, (i) => {
      const pcm48 = chainDecoder.decode(packets[i % packets.length] as Uint8Array);
      const low = down.process(pcm48);
      const back = up.process(low);
      chainEncoder.encode(back);
    });
    const chosen = DEFAULT_RESAMPLER_ENGINE === 'speex' ? speex : fir;
    const downName: Conversion = lowRate === 16_000 ? '48k→16k' : '48k→24k';
    const upName: Conversion = lowRate === 16_000 ? '16k→48k' : '24k→48k';
    const sumOfMediansUs =
      Math.round(
        (decode.medianUs +
          chosen[downName].medianUs +
          chosen[upName].medianUs +
          encodeCx5.medianUs) *
          10,
      ) / 10;
    return {
      chain,
      sumOfMediansUs,
      percentCorePerStream: Math.round(((chain.medianUs * 50) / 1e6) * 100 * 1000) / 1000,
    };
  };

  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    frames: frameCount,
    signal:
      'speech-like (harmonics 100–220 Hz f0, formant shaping, ~4 Hz syllables, noise), 48 kHz mono',
    opus: {
      library: '@discordjs/opus 0.10.0 (libopus 1.3.1)',
      decode,
      encodeCx5,
      encodeCx10,
      encodeCx5Audio,
    },
    resamplers: {
      chosen: DEFAULT_RESAMPLER_ENGINE,
      speexQuality: DEFAULT_SPEEX_QUALITY,
      speex,
      fir,
    },
    floor: { rate16k: floorFor(16_000), rate24k: floorFor(24_000) },
    durationMs: Math.round(performance.now() - began),
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const framesArg = Number(process.argv[2]);
  const result = await runCodecBench(
    Number.isInteger(framesArg) && framesArg > 0 ? { frames: framesArg } : {},
  );
  console.log(JSON.stringify(result, null, 2));
}
