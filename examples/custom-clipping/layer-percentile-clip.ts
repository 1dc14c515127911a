import { ValueError, norm } from '@tapegrad/autograd';
import type { ClipReport, GradientTransformation, Json, TensorClipReport } from '@tapegrad/optim';
import { percentile } from '@tapegrad/optim';

/** The rule's state: for each layer, its recent gradient norms (plain JSON, so it is checkpointed with the optimizer). */
export interface LayerHistory {
  [layer: string]: number[];
}

export interface LayerPercentileOptions {
  /** Clip a layer when its norm exceeds this percentile of its own recent norms (default 90). */
  percentile?: number;
  /** How many recent norms each layer remembers (default 100). */
  window?: number;
  /** Steps before clipping starts, while the history fills (default 10). */
  warmup?: number;
  /** Which layer a parameter belongs to, from its name (default: the name without its last part: 'rnn.weight_hh_l0' → 'rnn'). */
  layerOf?: (name: string) => string;
}

/**
 * Per-layer adaptive clipping: each layer's gradient (all its tensors together)
 * is scaled down to the p-th percentile of that layer's own recent norms,
 *   g_layer ← g_layer · min(1, P_p(history_layer) / ‖g_layer‖₂),
 * so a layer whose gradient spikes is tamed without touching the others (an
 * AutoClip, Seetharaman et al. 2020, per layer instead of global).
 */
export function layerPercentileClip(options: LayerPercentileOptions = {}): GradientTransformation<LayerHistory> {
  const p = options.percentile ?? 90;
  const window = options.window ?? 100;
  const warmup = options.warmup ?? 10;
  const layerOf = options.layerOf ?? ((name: string) => name.split('.').slice(0, -1).join('.') || name);
  if (!(p > 0 && p <= 100)) throw new ValueError('layerPercentileClip', `percentile must be in (0, 100], got ${p}`);
  if (!Number.isInteger(window) || window < 1) throw new ValueError('layerPercentileClip', `window must be a positive integer, got ${window}`);
  return {
    name: `layerPercentileClip(p${p}, window ${window})`,
    init: () => ({}),
    update(grads, state, _params, names) {
      // Group the tensors by layer (names come from the optimizer: module.namedParameters() names).
      const layers = new Map<string, number[]>();
      grads.forEach((g, i) => {
        if (!g) return;
        const layer = layerOf(names?.[i] ?? String(i));
        layers.set(layer, [...(layers.get(layer) ?? []), i]);
      });
      const next: LayerHistory = {};
      const tensors: TensorClipReport[] = [];
      let before = 0, after = 0;
      for (const [layer, indices] of layers) {
        const norms = indices.map((i) => norm(grads[i]!).item());
        const layerNorm = Math.sqrt(norms.reduce((s, n) => s + n * n, 0));
        const history = state[layer] ?? [];
        const threshold = history.length >= warmup ? percentile(history, p) : Infinity;
        const scale = layerNorm > threshold ? threshold / layerNorm : 1;
        indices.forEach((i, k) => {
          const g = grads[i]!;
          if (scale !== 1) for (let j = 0; j < g.size; j++) g.data[j] = g.data[j]! * scale;
          tensors.push({ index: i, normBefore: norms[k]!, normAfter: norms[k]! * scale, scale, clipped: scale !== 1 });
        });
        before += layerNorm * layerNorm;
        after += layerNorm * scale * (layerNorm * scale);
        // Remember the norm before clipping, as AutoClip does; keep the last `window`.
        next[layer] = [...history, layerNorm].slice(-window);
      }
      const report: ClipReport = {
        name: this.name,
        normType: 2,
        normBefore: Math.sqrt(before),
        normAfter: Math.sqrt(after),
        scale: null, // layers get different factors
        clipped: tensors.some((t) => t.clipped),
        threshold: null, // one threshold per layer, not one for the whole gradient
        tensors,
      };
      return { grads: [...grads], state: next satisfies Json, report };
    },
  };
}
