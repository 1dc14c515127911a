/** monitorCharts: a monitored run's loss and gradient-norm charts in one call, as standalone SVG. */
import { describe, expect, it } from 'vitest';
import * as T from '@tapegrad/autograd';
import { GradientMonitor, SGD, clipByGlobalNorm } from '../src/index.js';
import { monitorCharts } from '../src/plot/index.js';

describe('monitorCharts', () => {
  it('draws the loss and ‖g‖ before/after with the threshold and the clipped steps marked; no loss chart without losses', () => {
    const w = T.tensor([3, -4], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([['w', w]], { lr: 0.1, clip: clipByGlobalNorm(2) });
    const monitor = new GradientMonitor().attach(opt);
    for (let s = 0; s < 30; s++) {
      opt.zeroGrad();
      const loss = T.sum(T.square(w));
      loss.backward();
      opt.step(loss);
    }
    const { loss, gradNorm } = monitorCharts(monitor, { title: 'quadratic' });
    expect(loss).toMatch(/^<svg[\s\S]*quadratic: loss[\s\S]*<\/svg>$/);
    expect(gradNorm).toMatch(/quadratic: gradient norm before and after clipping/);
    expect(gradNorm).toMatch(/threshold 2/);
    const clippedSteps = monitor.rows().filter((r) => r.clipped).length;
    expect(clippedSteps).toBeGreaterThan(0);
    expect(gradNorm).toContain(`clipped (${clippedSteps} steps)`);
    // The clipped steps are a scatter: one marker each, drawn without a connecting line.
    expect(gradNorm.match(/<circle [^>]*r="3"/g)!.length).toBe(clippedSteps);
    const quiet = new GradientMonitor().attach(new SGD([['w', w]], { lr: 0.1 }));
    expect(monitorCharts(quiet).loss).toBeNull();
  });
});
