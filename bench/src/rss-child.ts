/** Child process for benchMemory: runs W3 training steps with one library (or none: 'baseline') and prints its peak RSS (KB). */
import { readFileSync } from 'node:fs';

// Each side loads only its own library, so the peak is that library's.
const side = process.argv[2];
const steps = Number(process.argv[3] ?? 5);
if (side === 'tfjs') {
  const tf = await import('@tensorflow/tfjs');
  const { W3 } = await import('./workloads.js');
  const { tfjsStep } = await import('./workloads-tfjs.js');
  await tf.setBackend('cpu');
  const s = tfjsStep(W3);
  for (let i = 0; i < steps; i++) s.step();
} else if (side !== 'baseline') {
  const T = await import('@tapegrad/autograd');
  if (side === 'tapegrad:js') T.setBackend('js');
  const { W3, tapegradStep } = await import('./workloads.js');
  const s = tapegradStep(W3);
  for (let i = 0; i < steps; i++) s.step();
} else {
  // The process with tapegrad loaded and nothing trained: what every side pays before its first step.
  await import('@tapegrad/autograd');
}
// Linux's ru_maxrss survives fork + exec (it starts at the parent's RSS when the child is spawned), so a
// child of a large bench process would report the parent's peak; VmHWM is this process's own high-water mark.
function peakKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
console.log(`maxRSS ${peakKb()}`);
