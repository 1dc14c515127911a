/**
 * The packages install the way a user outside this repository gets them:
 * `pnpm pack` tarballs (workspace:* rewritten to real versions) installed
 * with plain npm into a fresh project, a training script run with plain
 * node (no tsx, no "source" condition), and a TypeScript consumer
 * type-checked against the published declarations under both module
 * resolutions people use (node16 and bundler), without @types/node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
const PACKAGES = ['autograd', 'nn', 'optim'] as const;

function typecheck(dir: string, config: string, files: string[]): { status: number | null; output: string } {
  const options = config === 'node16' ? { module: 'node16', moduleResolution: 'node16' } : { module: 'esnext', moduleResolution: 'bundler' };
  writeFileSync(join(dir, `tsconfig.${config}.json`), JSON.stringify({ compilerOptions: { ...options, target: 'es2022', strict: true, noEmit: true, lib: ['es2022', 'dom'], types: [] }, files }));
  const r = spawnSync(process.execPath, [tsc, '-p', `tsconfig.${config}.json`], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('installable packages', () => {
  it('pnpm pack → npm install in a fresh project → plain node trains; tsc (node16, bundler) type-checks a consumer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-consumer-'));
    for (const p of PACKAGES) execFileSync('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', dir], { cwd: resolve(root, 'packages', p), stdio: 'pipe' });
    const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual(['tapegrad-autograd-0.1.0.tgz', 'tapegrad-nn-0.1.0.tgz', 'tapegrad-optim-0.1.0.tgz']);
    for (const t of tarballs) {
      const manifest = execFileSync('tar', ['-xOzf', join(dir, t), 'package/package.json'], { encoding: 'utf8' });
      expect(manifest, `${t} keeps a workspace: range`).not.toMatch(/workspace:/);
      const files = execFileSync('tar', ['-tzf', join(dir, t)], { encoding: 'utf8' });
      for (const f of ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']) expect(files, `${t} lacks ${f}`).toContain(f);
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: Object.fromEntries(PACKAGES.map((p, i) => [`@tapegrad/${p}`, `file:./${tarballs[i]}`])) }));
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
    expect(install.status, install.stdout + install.stderr).toBe(0);

    copyFileSync(resolve(import.meta.dirname, 'fixtures/consumer.mjs'), join(dir, 'train.mjs'));
    const run = spawnSync(process.execPath, ['train.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^dist ok \d\.\d+ -> 0\.0\d\d 4/);

    copyFileSync(resolve(import.meta.dirname, 'fixtures/consumer-ts/consumer.ts'), join(dir, 'consumer.ts'));
    for (const config of ['node16', 'bundler']) {
      const r = typecheck(dir, config, ['consumer.ts']);
      expect(r.status, `${config}: ${r.output}`).toBe(0);
    }
    // The check is real: a type error against the published declarations fails it.
    writeFileSync(join(dir, 'wrong.ts'), "import { randn } from '@tapegrad/autograd';\nexport const s: string = randn([2]);\n");
    const wrong = typecheck(dir, 'node16', ['wrong.ts']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toMatch(/Type 'Tensor' is not assignable to type 'string'/);
  });
});
