// The WebAssembly kernels of the wasm backend: one module, built from these sources.
export { gemm, packBytes, heapBase } from './gemm';
export { lstmForward, lstmBackward, mapInPlace, rnnForward, rnnBackward } from './lstm';
