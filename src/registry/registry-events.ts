/**
 * The registry's facts: every decision is one event (who, when, why) carrying the changes it made,
 * applied together or not at all. The event log is the source of truth; an index is a fold over it.
 */
import type { ModelAlias, ModelStage, ModelVersion } from './model-registry.js';

/** A new version, always in stage candidate. */
export interface VersionRegistered {
  readonly kind: 'version-registered';
  readonly version: ModelVersion;
  /** Offset of the artifact record on the models topic; undefined where artifacts are not on Kafka. */
  readonly artifactOffset: string | undefined;
}

/** A version moved from one stage to another; `previousStage` is what the writer saw, checked on apply. */
export interface StageChanged {
  readonly kind: 'stage-changed';
  readonly version: number;
  readonly stage: ModelStage;
  readonly previousStage: ModelStage;
}

/** An alias moved (or was removed, `version` null); `previousVersion` is what the writer saw, checked on apply. */
export interface AliasMoved {
  readonly kind: 'alias-moved';
  readonly alias: ModelAlias;
  readonly version: number | null;
  readonly previousVersion: number | null;
}

export type RegistryChange = VersionRegistered | StageChanged | AliasMoved;

/** One decision about one model: all its changes share the author and the time. */
export interface RegistryEvent {
  /** Unique id, so a writer can tell whether its own event was applied. */
  readonly eventId: string;
  readonly model: string;
  /** ISO-8601 UTC, millisecond precision. */
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly changes: readonly RegistryChange[];
}
