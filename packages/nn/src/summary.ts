/**
 * `summary(model, input)`: every module with its type, output shape and
 * parameter counts, and the totals (Keras's model.summary(), torchinfo).
 * Output shapes come from one forward pass on the given input (or zeros of
 * the given shape), run in eval mode without recording; each module's
 * `forward` is observed for that call only and restored afterwards.
 */
import type { Tensor } from '@tapegrad/autograd';
import * as T from '@tapegrad/autograd';
import { ValueError, describeValue } from '@tapegrad/autograd';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** One module's line of the summary. */
export interface SummaryRow {
  /** Dotted name ('' for the model itself). */
  name: string;
  /** Class name. */
  type: string;
  /** Shape of its (first) output tensor in the forward pass, or null if it did not run. */
  outputShape: number[] | null;
  /** Parameter elements the module holds itself (not its submodules'). */
  params: number;
}

/** The summary: rows, totals, and a printable table (`String(summary)`). */
export interface ModelSummary {
  rows: SummaryRow[];
  /** Every parameter element, each shared parameter once. */
  totalParams: number;
  /** Those with requiresGrad. */
  trainableParams: number;
  toString(): string;
}

/** The first tensor in a forward's result: a Tensor, the `out` of a recurrent layer's result, or the first of a list. */
function firstTensor(result: unknown): Tensor | null {
  if (result instanceof T.Tensor) return result;
  if (Array.isArray(result)) return result.find((r): r is Tensor => r instanceof T.Tensor) ?? null;
  if (result && typeof result === 'object' && (result as { out?: unknown }).out instanceof T.Tensor) return (result as { out: Tensor }).out;
  return null;
}

type Forward = (...args: unknown[]) => unknown;

/**
 * Summarises `model` by running it once on `input` (a tensor, or a shape for
 * float32 zeros). `forwardArgs` are passed after the input.
 */
export function summary(model: Module, input: Tensor | readonly number[], ...forwardArgs: unknown[]): ModelSummary {
  if (!(model instanceof Module)) throw new ValueError('summary', `model must be a Module, got ${describeValue(model)}`);
  const x = input instanceof T.Tensor ? input : Array.isArray(input) ? T.zeros(input) : null;
  if (!x) throw new ValueError('summary', `input must be a Tensor or a shape, got ${describeValue(input)}`);
  const modules = model.namedModules();
  const shapes = new Map<Module, number[]>();
  const patched: Module[] = [];
  for (const [, m] of modules) {
    const own = (m as unknown as { forward?: Forward }).forward;
    if (typeof own !== 'function') continue;
    Object.defineProperty(m, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...args: unknown[]) => {
        const result = own.apply(m, args);
        const t = firstTensor(result);
        if (t && !shapes.has(m)) shapes.set(m, [...t.shape]);
        return result;
      },
    });
    patched.push(m);
  }
  const wasTraining = modules.map(([, m]) => m.training);
  model.eval();
  try {
    T.noGrad(() => (model as unknown as { forward: Forward }).forward(x, ...forwardArgs));
  } finally {
    for (const m of patched) delete (m as unknown as { forward?: Forward }).forward;
    modules.forEach(([, m], i) => (m.training = wasTraining[i]!));
  }
  const rows = modules.map(([name, m]): SummaryRow => {
    const inChildren = new Set<Parameter>(m.children().flatMap((c) => c.parameters()));
    const params = m.parameters().filter((p) => !inChildren.has(p)).reduce((n, p) => n + p.size, 0);
    return { name, type: m.constructor.name, outputShape: shapes.get(m) ?? null, params };
  });
  const all = model.parameters();
  const totalParams = all.reduce((n, p) => n + p.size, 0);
  const trainableParams = all.filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0);
  return { rows, totalParams, trainableParams, toString: () => formatSummary(rows, totalParams, trainableParams) };
}

function formatSummary(rows: readonly SummaryRow[], total: number, trainable: number): string {
  const table = [['layer', 'type', 'output shape', 'params'], ...rows.map((r) => [r.name || '(model)', r.type, r.outputShape ? `[${r.outputShape.join(', ')}]` : '—', r.params.toLocaleString('en-US')])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, w) => a + w + 2, -2));
  return [line(table[0]!), rule, ...table.slice(1).map(line), rule, `total params: ${total.toLocaleString('en-US')}`, `trainable params: ${trainable.toLocaleString('en-US')}`, `non-trainable params: ${(total - trainable).toLocaleString('en-US')}`].join('\n');
}
