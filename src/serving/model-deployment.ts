/**
 * What serves a model: the record scoring workers follow on the compacted `deployments` topic
 * (schemas/model-deployment.avsc), keyed by the model name. The rollout workflow moves the
 * champion, the challenger and their routing; a blue/green feature-job upgrade moves the feature
 * topic. Every change makes a new revision, built here from the latest one so that the rules hold
 * whoever writes it.
 */
import { DeploymentError } from './deployment-errors.js';

/**
 * How the challenger takes part: `NONE` champion only; `SHADOW` the challenger scores every
 * record beside the champion without deciding; `SPLIT` the challenger decides for
 * `challengerShare` of entity keys.
 */
export type ChallengerMode = 'NONE' | 'SHADOW' | 'SPLIT';

export const CHALLENGER_MODES: readonly ChallengerMode[] = ['NONE', 'SHADOW', 'SPLIT'];

/** A model version as served: its version and the sha256 its artifact must have. */
export interface ServedModel {
  readonly version: number;
  readonly sha256: string;
}

/** A Kafka partition offset; offsets are 64-bit, so they travel as strings. */
export interface PartitionOffset {
  readonly partition: number;
  readonly offset: string;
}

/**
 * Set when the feature topic moved: records of `previousTopic` at or after `overlapFrom` may
 * reappear in the new topic, so a scorer skips there the events it already scored.
 */
export interface FeaturesHandoff {
  readonly previousTopic: string;
  readonly overlapFrom: readonly PartitionOffset[];
}

export interface ModelDeployment {
  readonly model: string;
  /** Counts up by one with every change; a scorer ignores a revision not above the one it serves. */
  readonly revision: number;
  readonly featuresTopic: string;
  readonly featuresHandoff: FeaturesHandoff | null;
  /** Null until the model has a champion. */
  readonly champion: ServedModel | null;
  readonly challenger: ServedModel | null;
  readonly challengerMode: ChallengerMode;
  /** Fraction from 0 to 1 of entity keys the challenger decides in `SPLIT` mode; 0 otherwise. */
  readonly challengerShare: number;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
  /** A person, a workflow (`workflow:rollout:<model>`) or a CLI user. */
  readonly updatedBy: string;
  readonly reason: string;
}

/** What a publisher changes; every field left out keeps its latest value. */
export interface DeploymentChange {
  readonly champion?: ServedModel | null;
  readonly challenger?: ServedModel | null;
  readonly challengerMode?: ChallengerMode;
  readonly challengerShare?: number;
  readonly featuresTopic?: string;
  readonly featuresHandoff?: FeaturesHandoff | null;
  readonly updatedBy: string;
  readonly reason: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Every rule a deployment breaks, one line each; empty when it is valid. */
export function deploymentProblems(deployment: ModelDeployment): string[] {
  const problems: string[] = [];
  const { champion, challenger, challengerMode, challengerShare } = deployment;
  for (const [role, served] of [['champion', champion], ['challenger', challenger]] as const) {
    if (served === null) continue;
    if (!Number.isInteger(served.version) || served.version < 1) problems.push(`the ${role} version must be a whole number of at least 1, got ${served.version}`);
    if (!SHA256_HEX.test(served.sha256)) problems.push(`the ${role}'s sha256 must be 64 lowercase hex digits, got "${served.sha256}"`);
  }
  if (champion !== null && challenger !== null && champion.version === challenger.version) {
    problems.push(`v${champion.version} cannot be both champion and challenger`);
  }
  if (!CHALLENGER_MODES.includes(challengerMode)) problems.push(`the challenger mode must be one of ${CHALLENGER_MODES.join(', ')}, got "${String(challengerMode)}"`);
  if (!(Number.isFinite(challengerShare) && challengerShare >= 0 && challengerShare <= 1)) {
    problems.push(`the challenger share must be a fraction from 0 to 1, got ${challengerShare}`);
  }
  if (challengerMode !== 'NONE' && challenger === null) problems.push(`challenger mode ${challengerMode} needs a challenger`);
  if (challengerMode !== 'NONE' && champion === null) problems.push(`challenger mode ${challengerMode} needs a champion to compare with`);
  if (challengerMode !== 'SPLIT' && challengerShare !== 0) problems.push(`a challenger share (${challengerShare}) only applies in SPLIT mode, not ${challengerMode}`);
  if (deployment.featuresTopic.trim() === '') problems.push('the features topic must not be empty');
  if (deployment.updatedBy.trim() === '') problems.push('who made the change (updatedBy) must be given');
  if (deployment.reason.trim() === '') problems.push('the reason for the change must be given');
  return problems;
}

/**
 * The next revision of a model's deployment: `current` (or, for a model never deployed, one
 * reading `defaultFeaturesTopic` with no models) with `change` applied. Removing the challenger
 * (`challenger: null`) also resets its mode and share, so "no challenger" never leaves a dangling split. Throws
 * {@link DeploymentError} listing every rule the result would break.
 */
export function applyDeploymentChange(current: ModelDeployment | undefined, model: string, change: DeploymentChange, now: number, defaultFeaturesTopic: string): ModelDeployment {
  const base: ModelDeployment = current ?? {
    model,
    revision: 0,
    featuresTopic: defaultFeaturesTopic,
    featuresHandoff: null,
    champion: null,
    challenger: null,
    challengerMode: 'NONE',
    challengerShare: 0,
    updatedAt: now,
    updatedBy: change.updatedBy,
    reason: change.reason,
  };
  const challenger = change.challenger === undefined ? base.challenger : change.challenger;
  const challengerRemoved = change.challenger === null;
  const next: ModelDeployment = {
    model,
    revision: base.revision + 1,
    featuresTopic: change.featuresTopic ?? base.featuresTopic,
    featuresHandoff: change.featuresHandoff === undefined ? base.featuresHandoff : change.featuresHandoff,
    champion: change.champion === undefined ? base.champion : change.champion,
    challenger,
    challengerMode: challengerRemoved ? 'NONE' : (change.challengerMode ?? base.challengerMode),
    challengerShare: challengerRemoved ? 0 : (change.challengerShare ?? (change.challengerMode !== undefined && change.challengerMode !== 'SPLIT' ? 0 : base.challengerShare)),
    updatedAt: now,
    updatedBy: change.updatedBy,
    reason: change.reason,
  };
  const problems = deploymentProblems(next);
  if (problems.length > 0) throw new DeploymentError(model, `the change by ${change.updatedBy} is refused: ${problems.join('; ')}`);
  return next;
}

/** One line for logs and the CLI: `delivery-time r7: champion v3, challenger v4 SPLIT 10% (features tributary.features)`. */
export function describeDeployment(deployment: ModelDeployment): string {
  const champion = deployment.champion ? `champion v${deployment.champion.version}` : 'no champion';
  const challenger =
    deployment.challenger === null
      ? ''
      : `, challenger v${deployment.challenger.version} ${deployment.challengerMode}${deployment.challengerMode === 'SPLIT' ? ` ${formatShare(deployment.challengerShare)}` : ''}`;
  return `${deployment.model} r${deployment.revision}: ${champion}${challenger} (features ${deployment.featuresTopic})`;
}

/** A share as a percentage with at most one decimal: 0.1 → "10%", 0.125 → "12.5%". */
export function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
