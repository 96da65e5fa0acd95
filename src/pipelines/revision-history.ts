/**
 * The revisions of every pipeline, folded from the order they were recorded in, and the decisions
 * a write makes against them. Both stores use it: the in-memory store directly, the Kafka store
 * for the records it reads back, so the tests of one test the rules of the other.
 */
import { PipelineNotFoundError } from './errors.js';
import type { DeletionStamp, PipelineRevision, RevisionDraft } from './pipeline-store.js';

export class RevisionHistory {
  private readonly byName = new Map<string, PipelineRevision[]>();

  /**
   * Takes a recorded revision in. Only the next number of its pipeline counts: a record read twice,
   * or a second record of a number already taken, changes nothing, so every reader folds the same
   * history from the same log.
   */
  apply(revision: PipelineRevision): boolean {
    const revisions = this.byName.get(revision.name) ?? [];
    if (revision.revision !== revisions.length + 1) return false;
    revisions.push(revision);
    this.byName.set(revision.name, revisions);
    return true;
  }

  current(name: string): PipelineRevision | undefined {
    const latest = this.byName.get(name)?.at(-1);
    return latest?.deleted ? undefined : latest;
  }

  revision(name: string, revision: number): PipelineRevision | undefined {
    return this.byName.get(name)?.[revision - 1];
  }

  history(name: string): readonly PipelineRevision[] {
    return [...(this.byName.get(name) ?? [])];
  }

  list(): readonly PipelineRevision[] {
    return [...this.byName.keys()]
      .sort()
      .flatMap((name) => this.current(name) ?? []);
  }

  /** The revision `draft` becomes, or undefined when the current revision has its digest. */
  decideRecord(draft: RevisionDraft): PipelineRevision | undefined {
    if (this.current(draft.name)?.digest === draft.digest) return undefined;
    return { ...draft, revision: this.history(draft.name).length + 1 };
  }

  /** The tombstone of `name`; throws {@link PipelineNotFoundError} when it is not a live pipeline. */
  decideDeletion(name: string, stamp: DeletionStamp): PipelineRevision {
    const current = this.current(name);
    if (!current) throw new PipelineNotFoundError(name, this.list().map((revision) => revision.name));
    return { ...current, revision: current.revision + 1, appliedBy: stamp.appliedBy, appliedAt: stamp.appliedAt, deleted: true };
  }
}
