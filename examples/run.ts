/**
 * `pnpm example <name> [options]` runs one experiment; `pnpm example` lists them.
 * Each writes a markdown table, SVG plots and metrics as JSONL to runs/<name>/.
 */
import { Args } from './lib/args.js';

interface Example {
  run(args: Args): Promise<void>;
  usage: string;
}

const EXAMPLES: Record<string, { about: string; load: () => Promise<Example> }> = {
  'clipping-showdown': { about: 'no clipping vs value vs per-tensor norm vs global norm on an unstable LSTM (the main demo)', load: () => import('./clipping-showdown/index.js') },
  'exploding-cliff': { about: "Pascanu et al.'s one-unit RNN: the loss cliff and SGD with and without clipping", load: () => import('./exploding-cliff/index.js') },
  'gradient-flow': { about: '‖dL/dh_t‖ along a long sequence for tanh RNN, LSTM and GRU; what clipping does and does not fix', load: () => import('./gradient-flow/index.js') },
  'fashion-lstm': { about: "the Keras tutorials' LSTM(10) on Fashion-MNIST: four clipping settings under a stable and an unstable optimizer", load: () => import('./fashion-lstm/index.js') },
  'pathological-tasks': { about: 'temporal-order and addition problems: success rates with and without clipping', load: () => import('./pathological-tasks/index.js') },
  sharpness: { about: 'the top Hessian eigenvalue of an RNN loss (Hessian-vector products) during training, with and without clipping', load: () => import('./sharpness/index.js') },
  'char-lstm': { about: 'a character-level LSTM language model with sampling, perplexity and checkpoint resume', load: () => import('./char-lstm/index.js') },
};

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || !(name in EXAMPLES)) {
  if (name && name !== '--help') console.error(`unknown example '${name}'\n`);
  console.log('usage: npm run example -- <name> [options]   (or: pnpm example <name> [options])\n');
  for (const [n, e] of Object.entries(EXAMPLES)) console.log(`  ${n.padEnd(20)} ${e.about}`);
  process.exitCode = name && name !== '--help' ? 1 : 0;
} else {
  const example = await EXAMPLES[name]!.load();
  if (rest.includes('--help')) console.log(example.usage);
  else {
    try {
      await example.run(new Args(rest));
    } catch (e) {
      console.error(`\n${name}: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  }
}
