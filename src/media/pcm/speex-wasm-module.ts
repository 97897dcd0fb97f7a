/** The part of the emscripten-built speexdsp resampler module that Shoal calls. Pointers are numbers. */
export interface SpeexWasmModule {
  readonly HEAP16: Int16Array;
  readonly HEAPU32: Uint32Array;
  _malloc(byteCount: number): number;
  _free(pointer: number): void;
  _speex_resampler_init(
    channelCount: number,
    inputRateHz: number,
    outputRateHz: number,
    quality: number,
    errorPointer: number,
  ): number;
  _speex_resampler_process_int(
    state: number,
    channelIndex: number,
    inputPointer: number,
    inputLengthPointer: number,
    outputPointer: number,
    outputLengthPointer: number,
  ): number;
  _speex_resampler_reset_mem(state: number): number;
  _speex_resampler_destroy(state: number): void;
}
