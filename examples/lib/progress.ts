/**
 * A progress bar with live numbers (loss, gradient norm). On a terminal it
 * redraws one line; elsewhere (CI, pipes) it prints a line every 10%.
 */
export class Progress {
  private readonly start = performance.now();
  private lastPrinted = -1;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number, values: Record<string, number | string> = {}): void {
    const frac = this.total > 0 ? Math.min(done / this.total, 1) : 1;
    const shown = Object.entries(values).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join('  ');
    const secs = (performance.now() - this.start) / 1000;
    if (this.tty) {
      const width = 24;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      process.stderr.write(`\r${this.label} ${bar} ${String(done).padStart(String(this.total).length)}/${this.total}  ${shown}  ${secs.toFixed(1)}s\x1b[K`);
      if (done >= this.total) process.stderr.write('\n');
      return;
    }
    const decile = Math.floor(frac * 10);
    if (decile > this.lastPrinted) {
      this.lastPrinted = decile;
      process.stderr.write(`${this.label} ${Math.round(frac * 100)}% (${done}/${this.total})  ${shown}  ${secs.toFixed(1)}s\n`);
    }
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : v.toFixed(4);
}
