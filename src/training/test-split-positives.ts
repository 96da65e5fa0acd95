/**
 * How many positive examples a training window needs before its test split can give the
 * operating-point gate the positive examples it asks for (`gates.minTestPositives`).
 *
 * The split is by event time: the test split is the newest `testFraction` of the examples, so on
 * average it holds that share of the window's positive examples, and often fewer (positives
 * come in episodes: a burst of fraud in examples/fraud).
 * Waiting for `minTestPositives / testFraction` would leave the gate short about half the time;
 * the rule takes the smallest window whose test split reaches the minimum with `confidence` if
 * each positive example fell into the test split independently with probability `testFraction`
 * (binomial, normal approximation): testFraction·P − z·√(P·testFraction·(1−testFraction)) ≥ minimum.
 */
import { normalQuantile } from '../rollout/normal-distribution.js';

/** One-sided confidence that the test split reaches its minimum. */
export const TEST_SPLIT_CONFIDENCE = 0.95;

/**
 * The positive examples a window needs so that its test split (the newest `testFraction`) holds at
 * least `minTestPositives` with probability `confidence`; e.g. 264 for 30 at 0.15.
 */
export function windowPositivesForTestSplit(minTestPositives: number, testFraction: number, confidence = TEST_SPLIT_CONFIDENCE): number {
  const z = normalQuantile(confidence);
  const spread = z * Math.sqrt(testFraction * (1 - testFraction));
  // The positive root of testFraction·s² − spread·s − minimum = 0, with s = √P.
  const root = (spread + Math.sqrt(spread * spread + 4 * testFraction * minTestPositives)) / (2 * testFraction);
  // A root that lands on a whole number by arithmetic alone must not round up past it.
  return Math.ceil(root * root - 1e-9);
}
