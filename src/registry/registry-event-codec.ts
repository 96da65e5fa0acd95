/**
 * Registry events and artifact records as the Avro values of `schemas/registry-event.avsc` and
 * `schemas/model-artifact.avsc`: snake_case fields, epoch-millisecond times, the change union
 * wrapped by record name as avsc writes a union of records.
 */
import type { ArtifactReference, ModelAlias, ModelLineage, ModelStage } from './model-registry.js';
import type { ModelRuntime } from './model-runtime.js';
import type { RegistryChange, RegistryEvent } from './registry-events.js';

const NAMESPACE = 'dev.tributary.registry';
const VERSION_REGISTERED = `${NAMESPACE}.VersionRegistered`;
const STAGE_CHANGED = `${NAMESPACE}.StageChanged`;
const ALIAS_MOVED = `${NAMESPACE}.AliasMoved`;

/** Content type of the blob that `serialiseModelArtifact` writes. */
export const MODEL_ARTIFACT_CONTENT_TYPE = 'application/vnd.tributary.model-artifact.v1';

interface LineageValue {
  offset_ranges: { topic: string; partition: number; from_offset: string; to_offset: string }[];
  feature_schema_id: number;
  feature_job_versions: string[];
  code_version: string;
  feature_vector_version: number;
  hyper_parameters_json: string;
  backend: string;
  split_boundaries: Record<string, number>;
  trained_by: string;
}

interface VersionRegisteredValue {
  version: number;
  metrics: Record<string, number>;
  /** Null for a regression; events written before it could be null hold 0 for one. */
  threshold: number | null;
  lineage: LineageValue;
  /** `runtime` is absent from events whose writer schema predates it; the reader schema's default (tfjs) fills it in. */
  artifact: { sha256: string; runtime: ModelRuntime; size_bytes: number; topic: string; key: string; offset: string | null };
  tags: Record<string, string>;
}

type ChangeValue =
  | { [VERSION_REGISTERED]: VersionRegisteredValue }
  | { [STAGE_CHANGED]: { version: number; stage: ModelStage; previous_stage: ModelStage } }
  | { [ALIAS_MOVED]: { alias: ModelAlias; version: number | null; previous_version: number | null } };

/** The Avro value of a registry event. */
export interface RegistryEventValue {
  event_id: string;
  model: string;
  at: number;
  by: string;
  reason: string;
  changes: ChangeValue[];
}

/** The Avro value of an artifact record. */
export interface ModelArtifactValue {
  model: string;
  version: number;
  sha256: string;
  size_bytes: number;
  feature_vector_version: number;
  content_type: string;
  written_at: number;
  artifact: Buffer;
}

export function encodeRegistryEvent(event: RegistryEvent): RegistryEventValue {
  return { event_id: event.eventId, model: event.model, at: Date.parse(event.at), by: event.by, reason: event.reason, changes: event.changes.map(encodeChange) };
}

export function decodeRegistryEvent(value: RegistryEventValue): RegistryEvent {
  const at = new Date(value.at).toISOString();
  return {
    eventId: value.event_id,
    model: value.model,
    at,
    by: value.by,
    reason: value.reason,
    changes: value.changes.map((change) => decodeChange(change, value.model, at)),
  };
}

function encodeChange(change: RegistryChange): ChangeValue {
  switch (change.kind) {
    case 'version-registered': {
      const { version, metrics, threshold, lineage, artifact, tags } = change.version;
      return {
        [VERSION_REGISTERED]: {
          version,
          metrics: { ...metrics },
          threshold,
          lineage: encodeLineage(lineage),
          artifact: { sha256: artifact.sha256, runtime: artifact.runtime, size_bytes: artifact.sizeBytes, topic: artifact.topic, key: artifact.key, offset: change.artifactOffset ?? null },
          tags: { ...tags },
        },
      };
    }
    case 'stage-changed':
      return { [STAGE_CHANGED]: { version: change.version, stage: change.stage, previous_stage: change.previousStage } };
    case 'alias-moved':
      return { [ALIAS_MOVED]: { alias: change.alias, version: change.version, previous_version: change.previousVersion } };
  }
}

function decodeChange(value: ChangeValue, model: string, at: string): RegistryChange {
  if (VERSION_REGISTERED in value) {
    const registered = value[VERSION_REGISTERED];
    const artifact: ArtifactReference = { sha256: registered.artifact.sha256, runtime: registered.artifact.runtime, sizeBytes: registered.artifact.size_bytes, topic: registered.artifact.topic, key: registered.artifact.key };
    const lineage = decodeLineage(registered.lineage);
    return {
      kind: 'version-registered',
      artifactOffset: registered.artifact.offset ?? undefined,
      version: {
        model,
        version: registered.version,
        stage: 'candidate',
        createdAt: at,
        metrics: registered.metrics,
        // A regression registered by training before the field could be null holds 0: it still decides nothing.
        threshold: lineage.hyperParameters.task === 'regression' ? null : registered.threshold,
        lineage,
        artifact,
        tags: registered.tags,
      },
    };
  }
  if (STAGE_CHANGED in value) {
    const changed = value[STAGE_CHANGED];
    return { kind: 'stage-changed', version: changed.version, stage: changed.stage, previousStage: changed.previous_stage };
  }
  const moved = value[ALIAS_MOVED];
  return { kind: 'alias-moved', alias: moved.alias, version: moved.version, previousVersion: moved.previous_version };
}

function encodeLineage(lineage: ModelLineage): LineageValue {
  return {
    offset_ranges: lineage.offsetRanges.map((range) => ({ topic: range.topic, partition: range.partition, from_offset: range.fromOffset, to_offset: range.toOffset })),
    feature_schema_id: lineage.featureSchemaId,
    feature_job_versions: [...lineage.featureJobVersions],
    code_version: lineage.codeVersion,
    feature_vector_version: lineage.featureVectorVersion,
    hyper_parameters_json: JSON.stringify(lineage.hyperParameters),
    backend: lineage.backend,
    split_boundaries: { ...lineage.splitBoundaries },
    trained_by: lineage.trainedBy,
  };
}

function decodeLineage(value: LineageValue): ModelLineage {
  return {
    offsetRanges: value.offset_ranges.map((range) => ({ topic: range.topic, partition: range.partition, fromOffset: range.from_offset, toOffset: range.to_offset })),
    featureSchemaId: value.feature_schema_id,
    featureJobVersions: value.feature_job_versions,
    codeVersion: value.code_version,
    featureVectorVersion: value.feature_vector_version,
    hyperParameters: JSON.parse(value.hyper_parameters_json) as Record<string, unknown>,
    backend: value.backend,
    splitBoundaries: value.split_boundaries,
    trainedBy: value.trained_by,
  };
}
