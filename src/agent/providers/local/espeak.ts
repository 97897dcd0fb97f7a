import { spawn } from 'node:child_process';
import { AudioFrame, createSpeexResampler } from '../../../media/pcm/index.js';
import { ShoalError } from '../../../protocol/index.js';
import { abortReason } from '../../../sdk/index.js';
import type { ProviderCallOptions, TextToSpeech } from '../types.js';
import { decodeWav } from '../wav.js';

export interface EspeakOptions {
  /** espeak-ng voice (default 'en-us'). */
  voice?: string;
  /** Speaking rate (default 160 words per minute). */
  wordsPerMinute?: number;
  /** Output rate (default 24000); espeak-ng's 22050 Hz is resampled. */
  sampleRateHz?: 16000 | 24000;
  /** Frame length yielded (default 100 ms). */
  frameMs?: number;
  /** Default 'espeak-ng'. */
  command?: string;
}

/**
 * Local, key-free TTS: `espeak-ng --stdout` (text on stdin) → WAV → PCM16 at the output rate.
 * One short-lived child per phrase; aborting kills it.
 */
export function espeakTts(options: EspeakOptions = {}): TextToSpeech {
  const rate = options.sampleRateHz ?? 24_000;
  const frameMs = options.frameMs ?? 100;
  return {
    name: `espeak-ng:${options.voice ?? 'en-us'}`,
    sampleRateHz: rate,
    async *synthesize(text: string, call: ProviderCallOptions = {}) {
      const wav = await runEspeak(text, options, call.signal);
      const decoded = decodeWav(wav);
      let samples = decoded.data;
      if (decoded.sampleRateHz !== rate) {
        const resampler = createSpeexResampler(decoded.sampleRateHz, rate);
        try {
          samples = resampler.process(samples);
        } finally {
          resampler.close();
        }
      }
      const step = (rate * frameMs) / 1000;
      for (let offset = 0; offset < samples.length; offset += step) {
        yield new AudioFrame(samples.slice(offset, offset + step), rate);
      }
    },
  };
}

function runEspeak(
  text: string,
  options: EspeakOptions,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const child = spawn(
      options.command ?? 'espeak-ng',
      ['--stdout', '-v', options.voice ?? 'en-us', '-s', String(options.wordsPerMinute ?? 160)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const chunks: Buffer[] = [];
    let stderr = '';
    const onAbort = (): void => {
      child.kill('SIGKILL');
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-1000);
    });
    child.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new ShoalError('UNAVAILABLE', `cannot run espeak-ng: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (code !== 0) {
        reject(
          new ShoalError('PROVIDER_FAILED', `espeak-ng exited with ${code}: ${stderr.trim()}`),
        );
        return;
      }
      resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}
