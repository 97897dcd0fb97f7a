import { pocketsphinxStt, AudioFrame } from '../src/agent/index.js';
import { speechFixture } from '../test/helpers/wav.js';
const stt = pocketsphinxStt();
const f = speechFixture(16000);
const t0 = performance.now();
const r = await stt.transcribe(new AudioFrame(f.samples, 16000), {});
console.log(JSON.stringify(r), performance.now() - t0);
await stt.close?.();
