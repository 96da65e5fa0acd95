/**
 * The demo's pipeline: the definition in examples/fraud/pipeline.yaml, applied under the demo's own
 * model name (one per run, so runs never share a registry history), as `tributary pipeline apply`
 * would record it. Training, the trigger and registration read what the model reads from it. Its
 * topics and subjects are created as apply creates them ({@link ensurePipelineTopics}).
 */
import { userInfo } from 'node:os';
import type { TributaryConfig } from '../../../src/config/config.js';
import { createPipelineStore } from '../../../src/pipeline-store/kafka-pipeline-store.js';
import { revisionDigest, revisionDraftFromFile } from '../../../src/pipelines/pipeline-revision.js';
import type { PipelineRevision, RevisionDraft } from '../../../src/pipelines/pipeline-store.js';
import type { Admin } from 'kafkajs';
import { platformSubjects, platformTopics } from '../../../src/pipeline-apply/platform-resources.js';
import { pipelineTopics } from '../../../src/pipelines/pipeline-topics.js';
import { COMPATIBILITY_LEVEL } from '../../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../../src/streaming/topic-admin.js';
import { valueSubject } from '../../../src/streaming/topic-catalogue.js';

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

/**
 * Creates the topics of the definition in `file` under `config`'s prefix, with the platform's
 * shared topics, and registers the definition's schema files and the platform's subjects of those
 * topics: the first two steps of `pipeline apply`, from the same functions (pipelineTopics,
 * platformTopics, platformSubjects). The demo and the tests start the feature job, the workflows
 * and the revision themselves, under names of their own, so apply's later steps are not taken.
 * A subject that already has a version is left as it is. Returns the names of the topics, for
 * clean-up.
 */
export async function ensurePipelineTopics(config: TributaryConfig, admin: Admin, file: string): Promise<string[]> {
  const draft = revisionDraftFromFile(file, { appliedBy: userInfo().username, appliedAt: new Date().toISOString() });
  const { prefix } = config.topics;
  const topics = pipelineTopics(draft.definition, { prefix });
  await ensureTopics(admin, [...topics, ...platformTopics({ prefix })]);
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const subjects = [
    ...topics.flatMap((topic) => (topic.schemaFile === undefined ? [] : [{ subject: valueSubject(topic.name), schema: draft.files[topic.schemaFile]! }])),
    ...platformSubjects(draft.definition, prefix),
  ];
  for (const { subject, schema } of subjects) {
    if ((await registry.latestSchema(subject)) !== undefined) continue;
    await registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
    await registry.register(subject, schema);
  }
  return [...topics, ...platformTopics({ prefix })].map((topic) => topic.name);
}
