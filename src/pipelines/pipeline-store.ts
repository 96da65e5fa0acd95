/**
 * Where applied pipeline definitions live: every `pipeline apply` that changes a definition records
 * a new revision, and the parts of the platform that work for a pipeline (training, the trigger,
 * drift, the scorer) read the revision they work from here, so a definition is the single source
 * of what a pipeline is. Revisions are self-contained: the files a definition names (Avro schemas,
 * the Flink SQL) are stored with it, so a revision means the same thing on any machine and later.
 */
import type { PipelineDefinition } from './pipeline-definition.js';

/** One applied version of a pipeline's definition. */
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
}
