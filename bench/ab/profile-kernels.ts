// Where a W2/W3 wasm step's time goes: wall time inside each kernel-table entry vs the whole step.
import * as T from '@tapegrad/autograd';
import { W2, W3, tapegradStep } from '../../bench/src/workloads.js';
const n = Number(process.argv[2] ?? 1);
T.setBackend('wasm');
T.setNumThreads(n);
await new Promise((r) => setTimeout(r, 300));
const k = T.kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
const spent: Record<string, number> = {};
for (const name of Object.keys(k)) {
  const f = k[name]!;
  if (typeof f !== 'function') continue;
  k[name] = (...a: unknown[]) => { const t = performance.now(); try { return f(...a); } finally { spent[name] = (spent[name] ?? 0) + performance.now() - t; } };
}
for (const w of [W2, W3]) {
  const s = tapegradStep(w);
  for (let i = 0; i < 5; i++) s.step();
  for (const key of Object.keys(spent)) delete spent[key];
  const reps = 30;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) s.step();
  const total = (performance.now() - t0) / reps;
  const rows = Object.entries(spent).map(([k2, v]) => [k2, v / reps] as const).sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(`${w.name} threads=${n}: ${total.toFixed(2)} ms/step; kernels:`, rows.map(([k2, v]) => `${k2} ${v.toFixed(2)}`).join(', '), `; outside kernels ${(total - rows.reduce((s2, r) => s2 + r[1], 0)).toFixed(2)}`);
}
