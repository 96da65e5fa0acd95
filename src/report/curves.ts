/**
 * The points of a model's ROC and precision-recall curves from labelled scores (label 1 positive,
 * 0 negative; higher score means more likely positive), for drawing. One point per distinct score,
 * flagging everything at or above it, from the highest score down; tied scores enter together,
 * so a tie is one diagonal step, not an arbitrary staircase.
 */

/** A point of a curve in its own units: (false-positive rate, true-positive rate) or (recall, precision). */
export interface CurvePoint {
  readonly x: number;
  readonly y: number;
}

interface CumulativeCounts {
  readonly truePositives: number;
  readonly falsePositives: number;
}

/** Cumulative counts at each distinct score from the highest down; undefined without both classes. */
function cumulativeCounts(labels: ArrayLike<number>, scores: ArrayLike<number>): { counts: CumulativeCounts[]; positives: number; negatives: number } | undefined {
  if (labels.length !== scores.length) throw new RangeError(`a curve needs one label per score, got ${labels.length} labels and ${scores.length} scores`);
  const order = Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
  const counts: CumulativeCounts[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  for (let index = 0; index < order.length; index += 1) {
    const item = order[index]!;
    if (labels[item] === 1) truePositives += 1;
    else falsePositives += 1;
    const next = order[index + 1];
    if (next === undefined || scores[next] !== scores[item]) counts.push({ truePositives, falsePositives });
  }
  if (truePositives === 0 || falsePositives === 0) return undefined;
  return { counts, positives: truePositives, negatives: falsePositives };
}

/** ROC curve from (0, 0) to (1, 1): x false-positive rate, y true-positive rate. Undefined without both classes. */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoint[] | undefined {
  const cumulative = cumulativeCounts(labels, scores);
  if (cumulative === undefined) return undefined;
  const { counts, positives, negatives } = cumulative;
  return [{ x: 0, y: 0 }, ...counts.map(({ truePositives, falsePositives }) => ({ x: falsePositives / negatives, y: truePositives / positives }))];
}

/**
 * Precision-recall curve: x recall, y precision, from the highest score down (recall rising to 1).
 * It starts at recall 0 with the precision of the first point, the usual convention. Undefined
 * without both classes.
 */
export function precisionRecallCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoint[] | undefined {
  const cumulative = cumulativeCounts(labels, scores);
  if (cumulative === undefined) return undefined;
  const { counts, positives } = cumulative;
  const points = counts.map(({ truePositives, falsePositives }) => ({ x: truePositives / positives, y: truePositives / (truePositives + falsePositives) }));
  return [{ x: 0, y: points[0]!.y }, ...points];
}

/**
 * At most `maxPoints` of a curve, evenly spaced by index, always keeping the first and the last:
 * a curve of 50 000 scores drawn with a few hundred points looks the same and keeps the page small.
 */
export function thinCurve(points: readonly CurvePoint[], maxPoints: number): CurvePoint[] {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw new RangeError(`a thinned curve keeps a whole number of points >= 2, got ${maxPoints}`);
  if (points.length <= maxPoints) return [...points];
  const step = (points.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, index) => points[Math.round(index * step)]!);
}
