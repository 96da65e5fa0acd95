/** A {@link PipelineStore} in memory, for tests and for code that runs a pipeline without Kafka. */
import type { DeletionStamp, PipelineRevision, PipelineStore, RecordOutcome, RevisionDraft } from './pipeline-store.js';
import { RevisionHistory } from './revision-history.js';

export class InMemoryPipelineStore implements PipelineStore {
  private readonly revisions = new RevisionHistory();

  current(name: string): Promise<PipelineRevision | undefined> {
    return Promise.resolve(this.revisions.current(name));
  }

  revision(name: string, revision: number): Promise<PipelineRevision | undefined> {
    return Promise.resolve(this.revisions.revision(name, revision));
  }

  history(name: string): Promise<readonly PipelineRevision[]> {
    return Promise.resolve(this.revisions.history(name));
  }

  list(): Promise<readonly PipelineRevision[]> {
    return Promise.resolve(this.revisions.list());
  }

  record(draft: RevisionDraft): Promise<RecordOutcome> {
    const next = this.revisions.decideRecord(draft);
    if (!next) return Promise.resolve({ recorded: false, revision: this.revisions.current(draft.name)! });
    this.revisions.apply(next);
    return Promise.resolve({ recorded: true, revision: next });
  }

  markDeleted(name: string, stamp: DeletionStamp): Promise<PipelineRevision> {
    try {
      const tombstone = this.revisions.decideDeletion(name, stamp);
      this.revisions.apply(tombstone);
      return Promise.resolve(tombstone);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
