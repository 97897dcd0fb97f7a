// Types for the raw emscripten module shipped by @echogarden/speex-resampler-wasm (it has none).
// The resolved module is narrowed to SpeexWasmModule (speex-wasm-module.ts) where it is loaded.
declare module '@echogarden/speex-resampler-wasm/simd' {
  const factory: (moduleArg?: object) => Promise<unknown>;
  export default factory;
}

declare module '@echogarden/speex-resampler-wasm' {
  const factory: (moduleArg?: object) => Promise<unknown>;
  export default factory;
}
