/**
 * The registry's state as a fold over its events: versions, aliases and history per model. Both
 * the Kafka registry (replaying its log) and the in-memory one apply events here, so they cannot
 * disagree about what an event means.
 */
import { ModelNotFoundError, RegistryConflictError, VersionNotFoundError } from './errors.js';
import type { AliasChange, ModelAlias, ModelStage, ModelVersion, StageChange } from './model-registry.js';
import type { RegistryChange, RegistryEvent } from './registry-events.js';
import { isTransitionListed } from './stage-transitions.js';

/** A version with where its artifact record is. */
export interface IndexedVersion {
  readonly version: ModelVersion;
  readonly artifactOffset: string | undefined;
}

/** An event the index did not apply, because its preconditions did not hold, and why. */
export interface RefusedEvent {
  readonly eventId: string;
  readonly model: string;
  /** Where it is in the log, when it came from one. */
  readonly position: string | undefined;
  readonly reason: string;
}

interface ModelState {
  readonly versions: Map<number, IndexedVersion>;
  readonly aliases: Map<ModelAlias, number>;
  readonly history: (AliasChange | StageChange)[];
}

/** Stages an alias may not point at. */
const ALIAS_FORBIDDEN_STAGES: readonly ModelStage[] = ['rejected', 'archived'];

export class RegistryIndex {
  private readonly models = new Map<string, ModelState>();
  private readonly appliedEventIds = new Set<string>();
  private readonly refusedEvents: RefusedEvent[] = [];

  /**
   * Applies every change of `event`, or none: each change's precondition (the next version number,
   * the previous stage, the previous alias target, an alias only on a live version) is checked
   * against the state left by the changes before it. Throws {@link RegistryConflictError} when one fails.
   */
  apply(event: RegistryEvent): void {
    const current = this.models.get(event.model);
    const next: ModelState = {
      versions: new Map(current?.versions),
      aliases: new Map(current?.aliases),
      history: [...(current?.history ?? [])],
    };
    for (const change of event.changes) applyChange(next, event, change);
    this.models.set(event.model, next);
    this.appliedEventIds.add(event.eventId);
  }

  /** Applies an event read from the log; one whose preconditions fail is recorded as refused, so every reader refuses the same ones. */
  replay(event: RegistryEvent, position: string | undefined): void {
    try {
      this.apply(event);
    } catch (error) {
      if (!(error instanceof RegistryConflictError)) throw error;
      this.refusedEvents.push({ eventId: event.eventId, model: event.model, position, reason: error.message });
    }
  }

  /** Records a log entry that could not even be decoded, so it is visible rather than silently skipped. */
  recordUnreadable(position: string, reason: string): void {
    this.refusedEvents.push({ eventId: '(undecodable)', model: '(unknown)', position, reason });
  }

  hasApplied(eventId: string): boolean {
    return this.appliedEventIds.has(eventId);
  }

  /** The refusal of an event, if it was refused. */
  refusalOf(eventId: string): RefusedEvent | undefined {
    return this.refusedEvents.find((refused) => refused.eventId === eventId);
  }

  /** Events the log holds but the index did not apply, oldest first. */
  refused(): readonly RefusedEvent[] {
    return [...this.refusedEvents];
  }

  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }

  /** The number the next registered version of `model` gets: one more than the highest so far. */
  nextVersion(model: string): number {
    return (this.models.get(model)?.versions.size ?? 0) + 1;
  }

  /** Every version of a model, oldest first; throws {@link ModelNotFoundError}. */
  versions(model: string): ModelVersion[] {
    return [...this.state(model).versions.values()].map((indexed) => indexed.version);
  }

  /** Throws {@link ModelNotFoundError} or {@link VersionNotFoundError} naming what exists. */
  indexedVersion(model: string, version: number): IndexedVersion {
    const state = this.state(model);
    const found = state.versions.get(version);
    if (!found) throw new VersionNotFoundError(model, version, [...state.versions.keys()]);
    return found;
  }

  /** The version an alias points at; undefined for a model without it (or without any version). */
  aliasTarget(model: string, alias: ModelAlias): number | undefined {
    return this.models.get(model)?.aliases.get(alias);
  }

  /** Every alias and stage change of a model, oldest first; throws {@link ModelNotFoundError}. */
  history(model: string): (AliasChange | StageChange)[] {
    return [...this.state(model).history];
  }

  private state(model: string): ModelState {
    const state = this.models.get(model);
    if (!state) throw new ModelNotFoundError(model, this.modelNames());
    return state;
  }
}

function applyChange(state: ModelState, event: RegistryEvent, change: RegistryChange): void {
  const conflict = (reason: string): RegistryConflictError => new RegistryConflictError(event.model, `event ${event.eventId}: ${reason}`);
  const { model, at, by, reason } = event;
  switch (change.kind) {
    case 'version-registered': {
      const expected = state.versions.size + 1;
      if (change.version.model !== model) throw conflict(`it registers a version of ${change.version.model}`);
      if (change.version.version !== expected) throw conflict(`it registers version ${change.version.version}, the next version is ${expected}`);
      state.versions.set(expected, { version: change.version, artifactOffset: change.artifactOffset });
      return;
    }
    case 'stage-changed': {
      const indexed = state.versions.get(change.version);
      if (!indexed) throw conflict(`version ${change.version} does not exist`);
      const { stage } = indexed.version;
      if (stage !== change.previousStage) throw conflict(`version ${change.version} is ${stage}, not ${change.previousStage}`);
      if (!isTransitionListed(stage, change.stage)) throw conflict(`version ${change.version} cannot move from ${stage} to ${change.stage}`);
      state.versions.set(change.version, { ...indexed, version: { ...indexed.version, stage: change.stage } });
      state.history.push({ model, version: change.version, stage: change.stage, previousStage: stage, at, by, reason });
      return;
    }
    case 'alias-moved': {
      const current = state.aliases.get(change.alias) ?? null;
      if (current !== change.previousVersion) throw conflict(`${change.alias} points at ${current ?? 'no version'}, not ${change.previousVersion ?? 'no version'}`);
      if (change.version === null) {
        state.aliases.delete(change.alias);
      } else {
        const target = state.versions.get(change.version);
        if (!target) throw conflict(`version ${change.version} does not exist`);
        if (ALIAS_FORBIDDEN_STAGES.includes(target.version.stage)) throw conflict(`${change.alias} cannot point at version ${change.version}, which is ${target.version.stage}`);
        state.aliases.set(change.alias, change.version);
      }
      state.history.push({ model, alias: change.alias, version: change.version, previousVersion: change.previousVersion, at, by, reason });
      return;
    }
  }
}
