/**
 * Two-sample Kolmogorov–Smirnov test: D is the largest vertical distance between the two
 * empirical distribution functions; the p-value is the asymptotic Kolmogorov distribution
 * Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} at λ = (√n_e + 0.12 + 0.11/√n_e)·D, n_e = n·m/(n+m)
 * (Numerical Recipes' `kstwo`/`probks`). Unlike PSI it needs no bins. With thousands of records
 * even a harmless shift is "significant", so the drift monitor reports D and p but decides on PSI.
 */

export interface KolmogorovSmirnovResult {
  /** Largest distance between the empirical CDFs, 0 (identical) to 1 (disjoint). */
  readonly statistic: number;
  /** Probability of a distance at least this large if both samples came from one distribution. */
  readonly pValue: number;
}

/** D and its asymptotic p-value; undefined when either sample is empty. */
export function kolmogorovSmirnov(a: ArrayLike<number>, b: ArrayLike<number>): KolmogorovSmirnovResult | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let statistic = 0;
  while (i < x.length && j < y.length) {
    // Step past every copy of the smaller value on both sides, so ties move both CDFs together.
    const value = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === value) i += 1;
    while (j < y.length && y[j] === value) j += 1;
    statistic = Math.max(statistic, Math.abs(i / x.length - j / y.length));
  }
  const effective = Math.sqrt((x.length * y.length) / (x.length + y.length));
  return { statistic, pValue: kolmogorovQ((effective + 0.12 + 0.11 / effective) * statistic) };
}

/** Q_KS(λ) = 2 Σ (−1)^{k−1} e^{−2k²λ²}, 1 at λ = 0. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k += 1) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) return Math.min(1, Math.max(0, sum));
  }
  // The series has not converged only for tiny λ, where the true value is 1.
  return 1;
}
