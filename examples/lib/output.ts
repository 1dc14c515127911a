/** Where an example writes its results: runs/<name>/ (or --out), and helpers to write them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export class RunOutput {
  readonly dir: string;
  private readonly written: string[] = [];
  constructor(name: string, out?: string) {
    const base = process.env.INIT_CWD ?? process.cwd();
    this.dir = resolve(base, out ?? join('runs', name));
    mkdirSync(this.dir, { recursive: true });
  }
  write(file: string, content: string): string {
    const path = join(this.dir, file);
    writeFileSync(path, content);
    this.written.push(path);
    return path;
  }
  /** One JSON object per line. */
  writeJsonl(file: string, rows: readonly object[]): string {
    return this.write(file, rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join('\n') + '\n');
  }
  /** Prints every file written, relative to where the user ran the command. */
  printPaths(): void {
    const base = process.env.INIT_CWD ?? process.cwd();
    console.log(`\nResults in ${relative(base, this.dir) || '.'}/:`);
    for (const p of this.written) console.log(`  ${relative(base, p)}`);
  }
}

/** A markdown table. */
export function markdownTable(head: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isFinite(v) ? (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString()) : String(v)) : v);
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n') + '\n';
}
