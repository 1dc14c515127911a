/** Minimal `--key value` / `--flag` parsing with typed getters and defaults. */
export class Args {
  private readonly values = new Map<string, string>();
  readonly used = new Set<string>();
  constructor(argv: readonly string[]) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}' (options look like --name value)`);
      const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) this.values.set(k, inline);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) this.values.set(k, argv[++i]!);
      else this.values.set(k, 'true');
    }
  }
  number(key: string, fallback: number): number {
    this.used.add(key);
    const v = this.values.get(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${key} expects a number, got '${v}'`);
    return n;
  }
  string(key: string, fallback: string): string {
    this.used.add(key);
    return this.values.get(key) ?? fallback;
  }
  optional(key: string): string | undefined {
    this.used.add(key);
    return this.values.get(key);
  }
  flag(key: string): boolean {
    this.used.add(key);
    const v = this.values.get(key);
    return v !== undefined && v !== 'false';
  }
  /** Rejects options the example does not know (typos should not pass silently). */
  checkUnknown(): void {
    const unknown = [...this.values.keys()].filter((k) => !this.used.has(k));
    if (unknown.length) throw new Error(`unknown option(s): ${unknown.map((k) => `--${k}`).join(', ')}`);
  }
}
