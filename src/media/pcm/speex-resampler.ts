import { ShoalError, assertOpen } from '../../protocol/errors.js';
import type { Resampler } from './resampler-types.js';
import type { SpeexWasmModule } from './speex-wasm-module.js';

/** Speex quality 0–10; 5 is speexdsp's "VoIP" default (~−100 dB stopband at these ratios). */
export const DEFAULT_SPEEX_QUALITY = 5;

let loading: Promise<SpeexWasmModule> | undefined;
let loaded: SpeexWasmModule | undefined;

/**
 * Loads the speexdsp resampler (WebAssembly; the SIMD build, or the plain build where SIMD is
 * missing) once per process. Safe to call many times; later calls return the same promise.
 */
export function loadSpeexResampler(): Promise<void> {
  loading ??= instantiate().then(
    (module) => {
      loaded = module;
      return module;
    },
    (err: unknown) => {
      loading = undefined;
      throw new ShoalError('INTERNAL', 'could not load the speex resampler', { cause: err });
    },
  );
  return loading.then(() => undefined);
}

/** Whether loadSpeexResampler() has finished, so that speex resamplers can be created synchronously. */
export function isSpeexResamplerLoaded(): boolean {
  return loaded !== undefined;
}

async function instantiate(): Promise<SpeexWasmModule> {
  try {
    const { default: factory } = await import('@echogarden/speex-resampler-wasm/simd');
    return (await factory()) as SpeexWasmModule;
  } catch {
    const { default: factory } = await import('@echogarden/speex-resampler-wasm');
    return (await factory()) as SpeexWasmModule;
  }
}

/** Frees the wasm memory of a resampler that was dropped without close(). */
const leaked = new FinalizationRegistry<{ module: SpeexWasmModule; memory: SpeexMemory }>(
  ({ module, memory }) => freeMemory(module, memory),
);

interface SpeexMemory {
  state: number;
  // in_len then out_len (uint32 each).
  lengths: number;
  input: number;
  output: number;
}

function freeMemory(module: SpeexWasmModule, memory: SpeexMemory): void {
  module._speex_resampler_destroy(memory.state);
  module._free(memory.lengths);
  if (memory.input !== 0) {
    module._free(memory.input);
  }
  if (memory.output !== 0) {
    module._free(memory.output);
  }
}

/**
 * Creates a speexdsp resampler (any pair of rates). Needs `await loadSpeexResampler()` first;
 * throws INVALID_STATE otherwise. The wasm memory is freed by close() (or, as a fallback, when
 * the resampler is garbage-collected).
 */
export function createSpeexResampler(
  inputRateHz: number,
  outputRateHz: number,
  quality = DEFAULT_SPEEX_QUALITY,
): Resampler {
  if (loaded === undefined) {
    throw new ShoalError(
      'INVALID_STATE',
      'the speex resampler is not loaded: await initResamplers() (or loadSpeexResampler()) first',
    );
  }
  if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
    throw new ShoalError('BAD_REQUEST', `invalid speex quality: ${quality}`);
  }
  return new SpeexResampler(loaded, inputRateHz, outputRateHz, quality);
}

class SpeexResampler implements Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  readonly #module: SpeexWasmModule;
  readonly #memory: SpeexMemory;
  // Capacities of the input/output buffers, in samples.
  #inputCapacity = 0;
  #outputCapacity = 0;
  #closed = false;

  constructor(module: SpeexWasmModule, inputRateHz: number, outputRateHz: number, quality: number) {
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    this.#module = module;
    const errorPointer = module._malloc(4);
    const state = module._speex_resampler_init(1, inputRateHz, outputRateHz, quality, errorPointer);
    const error = module.HEAPU32[errorPointer >> 2] ?? -1;
    module._free(errorPointer);
    if (state === 0 || error !== 0) {
      if (state !== 0) {
        module._speex_resampler_destroy(state);
      }
      throw new ShoalError(
        'UNSUPPORTED',
        `speex cannot resample ${inputRateHz} → ${outputRateHz} Hz (error ${error})`,
      );
    }
    this.#memory = { state, lengths: module._malloc(8), input: 0, output: 0 };
    leaked.register(this, { module, memory: this.#memory }, this);
  }

  process(input: Int16Array): Int16Array {
    assertOpen(this.#closed, 'resampler');
    if (input.length === 0) {
      return new Int16Array(0);
    }
    const module = this.#module;
    const memory = this.#memory;
    const maxOutput = Math.ceil((input.length * this.outputRateHz) / this.inputRateHz) + 8;
    this.#reserve(input.length, maxOutput);
    // The heap may have grown (and its views been replaced) since the last call: read them now.
    const heap16 = module.HEAP16;
    const heapU32 = module.HEAPU32;
    heap16.set(input, memory.input >> 1);
    const inLenIndex = memory.lengths >> 2;
    let consumed = 0;
    let produced = 0;
    while (consumed < input.length) {
      heapU32[inLenIndex] = input.length - consumed;
      heapU32[inLenIndex + 1] = this.#outputCapacity - produced;
      const error = module._speex_resampler_process_int(
        memory.state,
        0,
        memory.input + consumed * 2,
        memory.lengths,
        memory.output + produced * 2,
        memory.lengths + 4,
      );
      const used = heapU32[inLenIndex] ?? 0;
      const made = heapU32[inLenIndex + 1] ?? 0;
      if (error !== 0 || (used === 0 && made === 0)) {
        throw new ShoalError('INTERNAL', `speex resampler failed (error ${error})`);
      }
      consumed += used;
      produced += made;
    }
    const start = memory.output >> 1;
    return heap16.slice(start, start + produced);
  }

  reset(): void {
    assertOpen(this.#closed, 'resampler');
    this.#module._speex_resampler_reset_mem(this.#memory.state);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    leaked.unregister(this);
    freeMemory(this.#module, this.#memory);
  }

  #reserve(inputSamples: number, outputSamples: number): void {
    const module = this.#module;
    const memory = this.#memory;
    if (inputSamples > this.#inputCapacity) {
      if (memory.input !== 0) {
        module._free(memory.input);
      }
      this.#inputCapacity = Math.max(inputSamples, 2048);
      memory.input = module._malloc(this.#inputCapacity * 2);
    }
    if (outputSamples > this.#outputCapacity) {
      if (memory.output !== 0) {
        module._free(memory.output);
      }
      this.#outputCapacity = Math.max(outputSamples, 2048);
      memory.output = module._malloc(this.#outputCapacity * 2);
    }
    if (memory.input === 0 || memory.output === 0) {
      throw new ShoalError('INTERNAL', 'speex resampler: out of wasm memory');
    }
  }
}
