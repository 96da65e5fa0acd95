/**
 * Where applied pipeline definitions live: every `pipeline apply` that changes a definition records
 * a new revision, and the parts of the platform that work for a pipeline (training, the trigger,
 * drift, the scorer) read the revision they work from here, so a definition is the single source
 * of what a pipeline is. Revisions are self-contained: the files a definition names (Avro schemas,
 * the Flink SQL) are stored with it, so a revision means the same thing on any machine and later.
 */
import type { PipelineDefinition } from './pipeline-definition.js';

/** One applied version of a pipeline's definition (or its deletion). */
export interface PipelineRevision {
  readonly name: string;
  /** 1 for the first apply, +1 for every apply that changed the definition. */
  readonly revision: number;
  readonly definition: PipelineDefinition;
  /**
   * The text of every file the definition names, by the path as written in the definition
   * (`sources[].schema`, `features.schema`, `labels.schema`, a SQL job's `statements`).
   */
  readonly files: Readonly<Record<string, string>>;
  /** sha256 of the definition and its files, canonically serialised: equal digests, equal revisions. */
  readonly digest: string;
  /** Who applied it (`--by`, else the OS user) and when (ISO-8601). */
  readonly appliedBy: string;
  readonly appliedAt: string;
  /**
   * True on the revision `pipeline delete` records: it repeats the last definition and ends the
   * pipeline's life (`current` and `list` no longer return it) while keeping its history. An apply
   * after it records the next revision. @default false
   */
  readonly deleted?: boolean;
}

/** What an apply hands the store: a revision before the store numbers it. */
export type RevisionDraft = Omit<PipelineRevision, 'revision' | 'deleted'>;

/** The answer of {@link PipelineStore.record}. */
export interface RecordOutcome {
  /** False when the current revision already has the draft's digest: nothing was written. */
  readonly recorded: boolean;
  /** The revision recorded, or the current one it equals. */
  readonly revision: PipelineRevision;
}

/** Who ends a pipeline and when, for its tombstone revision. */
export interface DeletionStamp {
  readonly appliedBy: string;
  readonly appliedAt: string;
}

/** The store of revisions; implementations: Kafka (a compacted topic) and in-memory (tests). */
export interface PipelineStore {
  /** The latest revision of `name`, or undefined when it was never applied or was deleted. */
  current(name: string): Promise<PipelineRevision | undefined>;
  /** Revision `revision` of `name`, or undefined when there is none. */
  revision(name: string, revision: number): Promise<PipelineRevision | undefined>;
  /** Every revision of `name`, oldest first. */
  history(name: string): Promise<readonly PipelineRevision[]>;
  /** The latest revision of every pipeline that is not deleted, by name. */
  list(): Promise<readonly PipelineRevision[]>;
  /**
   * Records `draft` as the next revision of its pipeline, unless the current revision has the same
   * digest; writers of one pipeline are serialised, so two applies never get the same number.
   */
  record(draft: RevisionDraft): Promise<RecordOutcome>;
  /**
   * Records the tombstone revision of a pipeline that is not deleted and returns it; throws
   * `PipelineNotFoundError` when there is no such pipeline.
   */
  markDeleted(name: string, stamp: DeletionStamp): Promise<PipelineRevision>;
  /** Releases what the store holds (a Kafka reader); a no-op in memory. */
  close(): Promise<void>;
}
