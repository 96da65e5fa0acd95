/**
 * The demo's pipeline: the definition in examples/fraud/pipeline.yaml, applied under the demo's own
 * model name (one per run, so runs never share a registry history), as `tributary pipeline apply`
 * would record it. Training, the trigger and registration read what the model reads from it.
 */
import { userInfo } from 'node:os';
import type { TributaryConfig } from '../../../src/config/config.js';
import { createPipelineStore } from '../../../src/pipeline-store/kafka-pipeline-store.js';
import { revisionDigest, revisionDraftFromFile } from '../../../src/pipelines/pipeline-revision.js';
import type { PipelineRevision, RevisionDraft } from '../../../src/pipelines/pipeline-store.js';

/** The definition in `file` as a revision draft of pipeline `name`: its own name replaced, applied by this user now. */
export function revisionDraftAs(file: string, name: string): RevisionDraft {
  const draft = revisionDraftFromFile(file, { appliedBy: userInfo().username, appliedAt: new Date().toISOString() });
  const definition = { ...draft.definition, name };
  return { ...draft, name, definition, digest: revisionDigest(definition, draft.files) };
}

/**
 * Records the definition in `file` as the current revision of pipeline `name` in the configured
 * store (see {@link revisionDraftAs}), unless it already is, and returns it.
 */
export async function recordPipelineAs(config: TributaryConfig, file: string, name: string): Promise<PipelineRevision> {
  const store = await createPipelineStore(config);
  try {
    return (await store.record(revisionDraftAs(file, name))).revision;
  } finally {
    await store.close();
  }
}
