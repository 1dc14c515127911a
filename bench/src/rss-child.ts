/** Child process for benchMemory: runs W3 training steps with one library and prints its peak RSS (KB). */
import * as tf from '@tensorflow/tfjs';
import { W3, tapegradStep, tfjsStep } from './workloads.js';

const side = process.argv[2];
const steps = Number(process.argv[3] ?? 5);
if (side === 'tfjs') {
  await tf.setBackend('cpu');
  const s = tfjsStep(W3);
  for (let i = 0; i < steps; i++) s.step();
} else {
  const s = tapegradStep(W3);
  for (let i = 0; i < steps; i++) s.step();
}
console.log(`maxRSS ${process.resourceUsage().maxRSS}`);
