/**
 * `kiln/wasm`: the WebAssembly SIMD backend, for browsers and Node without WebGPU. Its own subpath
 * because it carries the compiled kernels: an app that trains on WebGPU alone does not load them.
 *
 * @module kiln/wasm
 */

export { WasmBackend, type WasmBackendOptions } from '../tensor/wasm';
