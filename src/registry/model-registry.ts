/**
 * The model registry's contract: versions per model name with metrics, lineage, artifact
 * and stage; aliases (champion, challenger) with their full history. Implementations:
 * the Kafka-backed registry (source of truth shared by every machine) and fakes in tests.
 */
import type { ModelRuntime } from './model-runtime.js';

export type ModelStage = 'candidate' | 'rejected' | 'challenger' | 'champion' | 'archived';
export type ModelAlias = 'champion' | 'challenger';

/** Exact input of a training run: which records of which partitions, half-open [from, to). */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  /** First offset included. */
  readonly fromOffset: string;
  /** First offset NOT included (the end offset snapshotted when training started). */
  readonly toOffset: string;
}

/** Everything needed to say where a model came from and to reproduce it. */
export interface ModelLineage {
  readonly offsetRanges: readonly OffsetRange[];
  /** Registry id of the training-examples schema the examples were decoded with. */
  readonly featureSchemaId: number;
  /** `feature_job_version` of the examples (the feature job that computed them). */
  readonly featureJobVersions: readonly string[];
  /** Git commit (or package version) of the code that trained the model. */
  readonly codeVersion: string;
  /**
   * The vectoriser spec's layout version the model was trained under (`VECTORISER_LAYOUT_VERSION`).
   * The name is the one registry events have carried since the fixed layout of format-1 artifacts.
   */
  readonly featureVectorVersion: number;
  readonly hyperParameters: Readonly<Record<string, unknown>>;
  /** TensorFlow.js backend that trained it: tensorflow, wasm or cpu. */
  readonly backend: string;
  /** Event-time boundaries of the train / validation / test splits (epoch ms). */
  readonly splitBoundaries: Readonly<Record<string, number>>;
  /** Who or what started the training: a workflow id, a schedule id, a person. */
  readonly trainedBy: string;
}

export interface ArtifactReference {
  readonly sha256: string;
  /** The engine that runs the artifact's model; `tfjs` for versions registered before ONNX models existed. */
  readonly runtime: ModelRuntime;
  readonly sizeBytes: number;
  /** Where the artifact bytes live: the compacted models topic, keyed `<model>:<version>`. */
  readonly topic: string;
  readonly key: string;
}

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  readonly stage: ModelStage;
  readonly createdAt: string;
  /** Test-split metrics: rocAuc, prAuc, precision, recall, f1, brier, fprAtTargetRecall, ... */
  readonly metrics: Readonly<Record<string, number>>;
  /** A classifier's decision threshold, chosen at training time; null for a regression, which decides nothing. */
  readonly threshold: number | null;
  readonly lineage: ModelLineage;
  readonly artifact: ArtifactReference;
  readonly tags: Readonly<Record<string, string>>;
}

/** Who made a change and why; every stage and alias change records one. */
export interface ChangeAuthor {
  /** A person (`alice`), a workflow (`workflow:rollout:churn`) or a schedule. */
  readonly by: string;
  readonly reason: string;
}

export interface AliasChange extends ChangeAuthor {
  readonly model: string;
  readonly alias: ModelAlias;
  /** The version the alias now points at; null when the alias was removed. */
  readonly version: number | null;
  readonly previousVersion: number | null;
  readonly at: string;
}

export interface StageChange extends ChangeAuthor {
  readonly model: string;
  readonly version: number;
  readonly stage: ModelStage;
  readonly previousStage: ModelStage;
  readonly at: string;
}

/** A trained model ready to register: the artifact bytes plus what describes them. */
export interface NewModelVersion {
  readonly model: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** A classifier's decision threshold; null for a regression. */
  readonly threshold: number | null;
  readonly lineage: ModelLineage;
  /** The serialised artifact (the model + preprocessing + metadata, `src/registry/model-artifact.ts`). */
  readonly artifact: Uint8Array;
  /** The runtime the artifact's header records. @default 'tfjs' */
  readonly runtime?: ModelRuntime;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface ModelRegistry {
  /** Registers a new version in stage `candidate`; versions count up from 1 per model. */
  registerVersion(input: NewModelVersion, author: ChangeAuthor): Promise<ModelVersion>;
  listModels(): Promise<readonly string[]>;
  listVersions(model: string): Promise<readonly ModelVersion[]>;
  /** Throws a typed not-found error naming the model and version. */
  getVersion(model: string, version: number): Promise<ModelVersion>;
  /** The version an alias points at, or undefined. */
  resolveAlias(model: string, alias: ModelAlias): Promise<ModelVersion | undefined>;
  /** Moves a stage along the allowed transitions; an illegal transition throws. */
  setStage(model: string, version: number, stage: ModelStage, author: ChangeAuthor): Promise<StageChange>;
  /** Points an alias at a version (or removes it with null), recording who and why. */
  setAlias(model: string, alias: ModelAlias, version: number | null, author: ChangeAuthor): Promise<AliasChange>;
  /** Every alias and stage change of a model, oldest first. */
  history(model: string): Promise<readonly (AliasChange | StageChange)[]>;
  /** The artifact bytes, verified against the recorded sha256 (a mismatch is refused). */
  loadArtifact(model: string, version: number): Promise<Uint8Array>;
}
