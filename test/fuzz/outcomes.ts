/** Prints a fuzz suite's call counts by outcome (for the run's log and the issue notes). */
import type { Outcomes } from './harness.js';

export function record(suite: string, outcomes: Outcomes): void {
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const parts = [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  console.log(`fuzz ${suite}: ${total} calls — ${parts.join(', ')}`);
}
