/**
 * The packages work as published: built to dist/ and imported by plain Node
 * through their exports maps (no tsx, no "source" condition).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('published builds', () => {
  it('dist/ of autograd, nn and optim load in plain Node and train a model', () => {
    const tsc = spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    for (const pkg of ['autograd', 'nn', 'optim']) {
      expect(existsSync(resolve(root, `packages/${pkg}/dist/index.js`))).toBe(true);
      expect(existsSync(resolve(root, `packages/${pkg}/dist/index.d.ts`))).toBe(true);
    }
    // Run from a workspace package that depends on all three, so their exports maps resolve.
    const script = resolve(root, 'reference/.consumer-check.mjs');
    copyFileSync(resolve(import.meta.dirname, 'fixtures/consumer.mjs'), script);
    try {
      const run = spawnSync(process.execPath, [script], { cwd: resolve(root, 'reference'), encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^dist ok \d\.\d+ -> 0\.0\d\d 4/);
    } finally {
      rmSync(script, { force: true });
    }
  });
  it('a script in a new folder anywhere under the repository root imports the packages by name (plain node and tsx)', () => {
    const dir = mkdtempSync(resolve(root, '.user-script-'));
    try {
      writeFileSync(resolve(dir, 'try.mjs'), "import { randn, sum } from '@tapegrad/autograd';\nimport { LSTM } from '@tapegrad/nn';\nimport { clipByNorm } from '@tapegrad/optim';\nconsole.log('resolved', sum(randn([3])).size, new LSTM(2, 3).numParameters(), clipByNorm(1).name);\n");
      const run = spawnSync(process.execPath, [resolve(dir, 'try.mjs')], { cwd: dir, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe('resolved 1 84 clipByNorm(1)\n');
      const tsx = spawnSync(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), '--conditions=source', resolve(dir, 'try.mjs')], { cwd: dir, encoding: 'utf8' });
      expect(tsx.status, tsx.stderr).toBe(0);
      expect(tsx.stdout).toBe('resolved 1 84 clipByNorm(1)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
