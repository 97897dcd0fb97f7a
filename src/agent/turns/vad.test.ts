import { describe, expect, it } from 'vitest';
import { Chunker } from '../../media/pcm/index.js';
import { speechFixture } from '../../../test/helpers/wav.js';
import { EnergyVad } from './energy-vad.js';
import { sileroVad } from './silero-vad.js';
import { TurnDetector } from './turn-detector.js';
import type { VadStream } from './vad.js';

async function turnsIn(vad: VadStream, samples16k: Int16Array): Promise<string[]> {
  const chunker = new Chunker({
    sampleRateHz: 16000,
    frameDurationMs: (vad.frameSamples * 1000) / 16000,
  });
  const detector = new TurnDetector({ endOfTurnSilenceMs: 500 });
  const events: string[] = [];
  for (const frame of chunker.push(samples16k)) {
    for (const e of detector.push(await vad.process(frame), (vad.frameSamples * 1000) / 16000)) {
      events.push(e.type);
    }
  }
  return events.filter((t) => t === 'turnEnd' || t === 'misfire');
}

describe('VAD engines + TurnDetector on the speech fixture', () => {
  const speech = speechFixture(16000).samples;
  const withSilence = new Int16Array(speech.length + 16000);
  withSilence.set(speech);

  it('Silero finds one turn in the sentence and none in silence or hum', async () => {
    const engine = sileroVad();
    expect(await turnsIn(await engine.create(), withSilence)).toEqual(['turnEnd']);
    expect(await turnsIn(await engine.create(), new Int16Array(48000))).toEqual([]);
    const hum = new Int16Array(48000).map((_, i) =>
      Math.round(2000 * Math.sin((2 * Math.PI * 60 * i) / 16000)),
    );
    expect(await turnsIn(await engine.create(), hum)).toEqual([]);
  });

  it('the energy VAD finds one turn in clean speech and none in silence', async () => {
    expect(await turnsIn(new EnergyVad(), withSilence)).toEqual(['turnEnd']);
    expect(await turnsIn(new EnergyVad(), new Int16Array(48000))).toEqual([]);
  });
});
