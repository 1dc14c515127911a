// AssemblyScript: Adam's per-element update over float32 parameter, gradient
// and state arrays (copied into this module's memory by the caller, a chunk at
// a time). The arithmetic is the JS twin's (src/backend/adam.ts) operation for
// operation in float64 — two elements per f64x2, no fused multiply-add — with
// every stored value rounded to float32 and read back rounded, so the bits
// are the JS loop's.

/** Loads two float32 values at p as an f64x2. */
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Stores the two lanes of x rounded to float32 at p; returns them as float64 again (what a reader of the array sees). */
@inline function store2(p: usize, x: v128): v128 {
  const r = f32x4.demote_f64x2_zero(x);
  v128.store64_lane(p, r, 0);
  return f64x2.promote_low_f32x4(r);
}

/** One element: the JS twin's loop body. */
@inline function adamOne(p: usize, g: usize, m: usize, v: usize, vmax: usize, b1: f64, b2: f64, stepSize: f64, bc2Sqrt: f64, eps: f64, sign: f64, l2: f64, decay: f64, keras: bool): void {
  let theta = <f64>load<f32>(p);
  if (decay != 1) {
    theta = <f64><f32>(theta * decay);
    store<f32>(p, <f32>theta);
  }
  let grad = sign * <f64>load<f32>(g);
  if (l2 != 0) grad += l2 * theta;
  const mi = <f64><f32>(b1 * <f64>load<f32>(m) + (1 - b1) * grad);
  const vi = <f64><f32>(b2 * <f64>load<f32>(v) + (1 - b2) * grad * grad);
  store<f32>(m, <f32>mi);
  store<f32>(v, <f32>vi);
  let second = vi;
  if (vmax != 0) {
    if (second > <f64>load<f32>(vmax)) store<f32>(vmax, <f32>second);
    second = <f64>load<f32>(vmax);
  }
  const denom = keras ? (Math.sqrt(second) + eps) / bc2Sqrt : Math.sqrt(second) / bc2Sqrt + eps;
  store<f32>(p, <f32>(theta - (stepSize * mi) / denom));
}

/**
 * Adam over n float32 elements at byte offsets p (θ), g (gradient), m, v and
 * vmax (0 without AMSGrad); the scalars as src/backend/adam.ts documents
 * them. θ·decay is applied first when decay ≠ 1 (AdamW).
 */
export function adamF32(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32, b1: f64, b2: f64, stepSize: f64, bc2Sqrt: f64, eps: f64, sign: f64, l2: f64, decay: f64, keras: bool): void {
  const B1 = f64x2.splat(b1), B2 = f64x2.splat(b2);
  const C1 = f64x2.splat(1 - b1), C2 = f64x2.splat(1 - b2);
  const S = f64x2.splat(stepSize), BC = f64x2.splat(bc2Sqrt), E = f64x2.splat(eps);
  const SG = f64x2.splat(sign), L2 = f64x2.splat(l2), D = f64x2.splat(decay);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    let theta = load2(p + o);
    if (decay != 1) theta = store2(p + o, f64x2.mul(theta, D));
    let grad = f64x2.mul(SG, load2(g + o));
    if (l2 != 0) grad = f64x2.add(grad, f64x2.mul(L2, theta));
    const mi = store2(m + o, f64x2.add(f64x2.mul(B1, load2(m + o)), f64x2.mul(C1, grad)));
    let second = store2(v + o, f64x2.add(f64x2.mul(B2, load2(v + o)), f64x2.mul(f64x2.mul(C2, grad), grad)));
    if (vmax != 0) {
      const old = load2(vmax + o);
      // The JS twin's `if (second > vmax) vmax = second`: a NaN on either side keeps vmax.
      second = store2(vmax + o, v128.bitselect(second, old, f64x2.gt(second, old)));
    }
    const root = f64x2.sqrt(second);
    const denom = keras ? f64x2.div(f64x2.add(root, E), BC) : f64x2.add(f64x2.div(root, BC), E);
    store2(p + o, f64x2.sub(theta, f64x2.div(f64x2.mul(S, mi), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    adamOne(p + o, g + o, m + o, v + o, vmax != 0 ? vmax + o : 0, b1, b2, stepSize, bc2Sqrt, eps, sign, l2, decay, keras);
  }
}
