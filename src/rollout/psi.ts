/**
 * Population stability index of a score distribution against a reference one:
 * PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the bins, where eᵢ and aᵢ are the reference's and the
 * actual's shares of bin i. A bin empty on either side would make the sum infinite, so every
 * share is floored at `epsilon` (the usual practice). Rules of thumb: below 0.1 stable, 0.1 to
 * 0.25 a moderate shift, above 0.25 a major one.
 */

/** Counts per bin over fixed bin edges; bin i holds scores in [edges[i], edges[i+1]), the last bin includes its upper edge. */
export interface ScoreHistogram {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

/** `bins` equal-width bins over [0, 1], all empty. */
export function emptyScoreHistogram(bins = 10): ScoreHistogram {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`a histogram needs a whole number of bins >= 1, got ${bins}`);
  return { edges: Array.from({ length: bins + 1 }, (_, i) => i / bins), counts: new Array<number>(bins).fill(0) };
}

/** The histogram with `score` counted; scores outside the edges fall into the first or last bin. */
export function addScore(histogram: ScoreHistogram, score: number): ScoreHistogram {
  const { edges } = histogram;
  let bin = edges.findIndex((edge, i) => i > 0 && score < edge) - 1;
  if (bin < 0) bin = score < edges[0]! ? 0 : histogram.counts.length - 1;
  const counts = [...histogram.counts];
  counts[bin] = counts[bin]! + 1;
  return { edges, counts };
}

/** PSI of `actual` against `reference` (same edges); undefined when either holds no scores. */
export function populationStabilityIndex(reference: ScoreHistogram, actual: ScoreHistogram, epsilon = 1e-4): number | undefined {
  if (reference.counts.length !== actual.counts.length || reference.edges.some((edge, i) => edge !== actual.edges[i])) {
    throw new RangeError('PSI compares histograms over the same bin edges');
  }
  const referenceTotal = reference.counts.reduce((sum, count) => sum + count, 0);
  const actualTotal = actual.counts.reduce((sum, count) => sum + count, 0);
  if (referenceTotal === 0 || actualTotal === 0) return undefined;
  return reference.counts.reduce((sum, count, i) => {
    const expected = Math.max(count / referenceTotal, epsilon);
    const observed = Math.max(actual.counts[i]! / actualTotal, epsilon);
    return sum + (observed - expected) * Math.log(observed / expected);
  }, 0);
}
