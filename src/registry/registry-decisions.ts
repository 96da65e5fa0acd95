/**
 * Turns a request (register, set a stage, move an alias) into the event that carries it out,
 * checked against the current index: the transition table, the alias rules and the cascades they
 * imply. Deciding is pure; storing the event is the registry's job.
 */
import { AliasNotSetError, InvalidModelNameError, InvalidRegistrationError } from './errors.js';
import type { ArtifactReference, ChangeAuthor, ModelAlias, ModelStage, NewModelVersion } from './model-registry.js';
import type { RegistryChange, RegistryEvent } from './registry-events.js';
import type { RegistryIndex } from './registry-index.js';
import { assertStageTransition } from './stage-transitions.js';

/** When and under which id the decided event is recorded. */
export interface DecisionStamp {
  readonly eventId: string;
  /** ISO-8601 UTC. */
  readonly at: string;
}

/** Letters, digits, '.', '_' and '-': safe in a Kafka key `<model>:<version>` and in a transactional id. */
const MODEL_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws {@link InvalidModelNameError} unless `model` can name a model. */
export function assertModelName(model: string): void {
  if (!MODEL_NAME.test(model)) throw new InvalidModelNameError(model);
}

/** Key of a version's artifact record on the models topic. */
export function artifactKey(model: string, version: number): string {
  return `${model}:${version}`;
}

/**
 * The event registering `input` as the next version of its model, in stage candidate. Throws
 * {@link InvalidModelNameError}, or {@link InvalidRegistrationError} listing every unusable field.
 */
export function decideRegistration(
  index: RegistryIndex,
  input: NewModelVersion,
  artifact: Omit<ArtifactReference, 'key'>,
  author: ChangeAuthor,
  stamp: DecisionStamp,
): RegistryEvent {
  assertModelName(input.model);
  const problems = [
    ...(input.threshold === null || (Number.isFinite(input.threshold) && input.threshold >= 0 && input.threshold <= 1)
      ? []
      : [`threshold=${input.threshold}: expected a number from 0 to 1 (a classifier's), or null (a regression's)`]),
    ...Object.entries(input.metrics).flatMap(([name, value]) => (Number.isFinite(value) ? [] : [`metrics.${name}=${value}: expected a finite number`])),
    ...(input.artifact.length > 0 ? [] : ['artifact: expected the serialised model, got 0 bytes']),
  ];
  if (problems.length > 0) throw new InvalidRegistrationError(input.model, problems);
  const version = index.nextVersion(input.model);
  return {
    ...stamp,
    model: input.model,
    ...author,
    changes: [
      {
        kind: 'version-registered',
        artifactOffset: undefined,
        version: {
          model: input.model,
          version,
          stage: 'candidate',
          createdAt: stamp.at,
          metrics: { ...input.metrics },
          threshold: input.threshold,
          lineage: input.lineage,
          artifact: { ...artifact, key: artifactKey(input.model, version) },
          tags: { ...input.tags },
        },
      },
    ],
  };
}

/**
 * The event moving `version` to `stage`, with what follows from it: a new champion archives the
 * previous one and takes the champion alias (and drops the challenger alias if it held it); a new
 * challenger archives the previous challenger and takes the challenger alias; a rejected or
 * archived version loses every alias pointing at it. Undefined when the version is in `stage`
 * already, so a retried request changes nothing. Throws {@link StageTransitionError}.
 */
export function decideStageChange(
  index: RegistryIndex,
  model: string,
  version: number,
  stage: ModelStage,
  author: ChangeAuthor,
  stamp: DecisionStamp,
): RegistryEvent | undefined {
  const from = index.indexedVersion(model, version).version.stage;
  if (from === stage) return undefined;
  const champion = index.aliasTarget(model, 'champion');
  assertStageTransition(model, version, from, stage, { currentChampion: champion });

  const changes: RegistryChange[] = [];
  const move = (target: number, to: ModelStage, previousStage: ModelStage): void => {
    changes.push({ kind: 'stage-changed', version: target, stage: to, previousStage });
  };
  const point = (alias: ModelAlias, target: number | null): void => {
    changes.push({ kind: 'alias-moved', alias, version: target, previousVersion: index.aliasTarget(model, alias) ?? null });
  };
  if (stage === 'champion' || stage === 'challenger') {
    const holder = index.aliasTarget(model, stage);
    if (holder !== undefined) move(holder, 'archived', stage);
    if (stage === 'champion' && index.aliasTarget(model, 'challenger') === version) point('challenger', null);
    move(version, stage, from);
    point(stage, version);
  } else {
    move(version, stage, from);
    for (const alias of ['champion', 'challenger'] as const) {
      if (index.aliasTarget(model, alias) === version) point(alias, null);
    }
  }
  return { ...stamp, model, ...author, changes };
}

/**
 * The event pointing `alias` at `version`. An alias and its stage move together: pointing champion
 * (or challenger) at a version makes it that stage, with {@link decideStageChange}'s cascade, and
 * removing an alias (`version` null) archives the version it pointed at. Undefined when the alias
 * already points there. Throws {@link StageTransitionError}, or {@link AliasNotSetError} when
 * removing an alias that points nowhere and never did.
 */
export function decideAliasChange(
  index: RegistryIndex,
  model: string,
  alias: ModelAlias,
  version: number | null,
  author: ChangeAuthor,
  stamp: DecisionStamp,
): RegistryEvent | undefined {
  const current = index.aliasTarget(model, alias);
  if (version === null) {
    if (current !== undefined) return decideStageChange(index, model, current, 'archived', author, stamp);
    const everSet = index.history(model).some((change) => 'alias' in change && change.alias === alias);
    if (!everSet) throw new AliasNotSetError(model, alias);
    return undefined;
  }
  if (current === version) return undefined;
  return decideStageChange(index, model, version, alias, author, stamp);
}
