/** Child process for benchMemory: runs W3 training steps with one library (or none: 'baseline') and prints its peak RSS (KB). */
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
console.log(`maxRSS ${process.resourceUsage().maxRSS}`);
