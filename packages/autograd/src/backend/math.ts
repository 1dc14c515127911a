/** Scalar special functions that JavaScript's Math lacks. */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function to near double precision.
 * |x| < 3: erf(x) = 2/√π · e^{-x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (2n+1)!!  (all terms
 * positive, so no cancellation); otherwise 1 − erfc(x) with erfc from its
 * continued fraction (Abramowitz & Stegun 7.1.14, evaluated by Lentz's method).
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  const r = 1 - erfcLarge(ax);
  return x < 0 ? -r : r;
}

/** erfc(x) for x ≥ 3 by the continued fraction erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))). */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  // Lentz's algorithm on f = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

/** Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2. */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2));
}

/** Standard normal density φ(x) = e^{-x²/2} / √(2π). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) * 0.3989422804014327;
}
