import { W2, W3, tapegradStep } from './src/workloads.js';
const w = process.argv[2] === 'W3' ? W3 : W2;
const { step } = tapegradStep(w);
for (let i = 0; i < 3; i++) step();
const t0 = performance.now(); let n = 0;
while (performance.now() - t0 < 4000) { step(); n++; }
console.log(w.name, ((performance.now() - t0) / n).toFixed(1), 'ms/step');
