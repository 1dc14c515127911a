/**
 * The backend boundary (DESIGN.md, "one op, one definition"): ops in src/ops
 * say what is computed and record it; every loop over tensor data lives in
 * src/backend, behind the kernel table, so a backend can replace it. This
 * checks the source: the only loops left in src/ops run over a shape's
 * dimensions, no op allocates storage with the `new (x.constructor)(n)`
 * idiom (one allocation helper, backend `allocate`), and nothing outside
 * src/backend imports ndarray.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../src');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('the backend boundary', () => {
  it('src/ops has no loop over tensor data: every remaining loop runs over dimensions of a shape', () => {
    const loops: string[] = [];
    for (const f of files(join(src, 'ops'))) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (/\b(for|while)\s*\(/.test(line)) loops.push(`${f.slice(src.length + 1)}:${i + 1}: ${line.trim()}`);
      });
    }
    // Index loops must stop at a rank (x.ndim, shape.length, a dim); for-of loops walk arguments, tensors or time
    // steps of a composite (recorded ops), never typed-array elements (a kernel would not be written that way).
    const overData = loops.filter((l) => !/for \(let \w+ = [\w +]+; \w+ < (\w+\.ndim|shape\.length|dim);/.test(l) && !/for \(const .+ of /.test(l));
    expect(overData).toEqual([]);
    expect(loops.length).toBeGreaterThan(0); // the check saw the shape loops: it reads the files it means to
  });

  it('storage is allocated through one helper, and ndarray stays inside src/backend', () => {
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/new \(\w+\.constructor as/);
      if (!f.includes(`${join('src', 'backend')}`)) expect(text, f).not.toMatch(/from ['"]ndarray/);
    }
  });
});
