// The WebAssembly kernels of the wasm backend: one module, built from these sources.
export { gemm, packBytes, heapBase } from './gemm';
export { gruBackward, gruForward, lstmBackward, lstmForward, mapInPlace, rnnBackward, rnnForward } from './lstm';
