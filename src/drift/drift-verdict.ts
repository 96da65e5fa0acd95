/**
 * Whether a check's figures count as drift. Pure and free of Node built-ins: the driftMonitor
 * workflow decides with it inside the workflow sandbox.
 */
import type { DriftFigures } from './drift-figures.js';

export interface DriftThresholds {
  /** A feature column at or above this PSI is drift. The usual rule: above 0.25 is a major shift. */
  readonly featurePsi: number;
  /** The champion's live scores at or above this PSI against its reference scores is drift. */
  readonly scorePsi: number;
}

export interface DriftVerdict {
  readonly drifted: boolean;
  /** One line a person reads, e.g. `feature amount:log1p PSI 0.412 >= 0.25`. */
  readonly summary: string;
}

const shown = (value: number): string => value.toFixed(3);

export function judgeDrift(figures: DriftFigures, thresholds: DriftThresholds): DriftVerdict {
  const drifting = figures.features.filter((feature) => feature.psi >= thresholds.featurePsi).sort((a, b) => b.psi - a.psi);
  const reasons = drifting.map((feature) => `feature ${feature.column} PSI ${shown(feature.psi)} >= ${thresholds.featurePsi}`);
  const { score } = figures;
  if (score !== null && score.psi >= thresholds.scorePsi) reasons.push(`score PSI ${shown(score.psi)} >= ${thresholds.scorePsi}`);
  if (reasons.length > 0) return { drifted: true, summary: reasons.join('; ') };
  const scorePart = score === null ? 'no live scores of the champion' : `score PSI ${shown(score.psi)} (KS D ${shown(score.ksStatistic)})`;
  return { drifted: false, summary: `max feature PSI ${shown(figures.maxFeature.psi)} (${figures.maxFeature.column}), ${scorePart}: below the thresholds` };
}
