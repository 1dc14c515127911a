// The WebAssembly kernels of the wasm backend: one module, built from these sources.
export { packBytes, heapBase } from './gemm';
export { ctlBytes, gemm, maxThreads, setThreads, splitCount, workerEnter, workerSpin } from './parallel';
export { gruBackward, gruForward, lstmBackward, lstmForward, mapInPlace, rnnBackward, rnnForward } from './lstm';
export { linearBackward, linearForward } from './linear';
export { addF32, scaleF32, sumSquaresF32, sumSquaresScratch, zeroF32 } from './vector';
export { adamF32 } from './adam';
