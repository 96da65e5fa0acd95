/**
 * `pipeline apply`: carries a plan out in an order that a second apply can complete after a
 * failure: topics, then schemas (a subject needs no topic, but a producer of the topic needs its
 * subject), then the feature jobs (which read and write both), then the model's workflows
 * (trigger, drift monitor, schedule; they read what the jobs write), and the revision last, so a
 * recorded revision means everything before it was done. Each step is skipped when the live system
 * already has it, which makes applying the same file twice change nothing.
 */
import { ApplyRefusedError, PipelineApplyError } from './errors.js';
import { planPipeline, refusals, renderPlanItem, startsFeatureJob, type FeatureJobItem, type PipelinePlan, type PlanDependencies } from './pipeline-plan.js';
import type { PipelineRevision, PipelineStore, RevisionDraft } from '../pipelines/pipeline-store.js';
import { applyWorkflow, changesWorkflow, type WorkflowControl } from './workflow-plan.js';
import { COMPATIBILITY_LEVEL } from '../streaming/schema-registrar.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { ensureTopics } from '../streaming/topic-admin.js';

/** Deploys or submits the feature jobs the plan starts (a jar job, or a SQL pipeline's jobs) and returns a line saying what it did. */
export type FeatureJobDeployer = (draft: RevisionDraft, items: readonly FeatureJobItem[]) => Promise<string>;

export interface ApplyDependencies extends PlanDependencies {
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'compatibilityLevel' | 'checkCompatibility' | 'register' | 'setCompatibilityLevel'>;
  readonly store: PipelineStore;
  readonly deployFeatureJob: FeatureJobDeployer;
  /** Starts, updates and stops the model's workflows. */
  readonly workflows: WorkflowControl;
  /** Receives a line as each step is done. @default silent */
  readonly progress?: (line: string) => void;
}

export interface ApplyOutcome {
  readonly plan: PipelinePlan;
  /** A line per step carried out; empty when the live system already was as defined. */
  readonly done: readonly string[];
  /** The pipeline's current revision: the one recorded, or the unchanged one. */
  readonly revision: PipelineRevision;
}

/**
 * Plans, then carries the plan out. Throws {@link ApplyRefusedError} before any change when the
 * registry would refuse a schema or the gateway a feature query, and {@link PipelineApplyError}
 * naming the failed step and what was done before it.
 */
export async function applyPipeline(draft: RevisionDraft, dependencies: ApplyDependencies): Promise<ApplyOutcome> {
  const plan = await planPipeline(draft, dependencies);
  const refused = refusals(plan);
  if (refused.length > 0) {
    throw new ApplyRefusedError(draft.name, {
      schemas: refused.filter((item) => item.kind === 'subject').map(renderPlanItem),
      featureJobs: refused.filter((item) => item.kind === 'feature-job').map(renderPlanItem),
    });
  }

  const done: string[] = [];
  const step = async (name: string, work: () => Promise<string>): Promise<void> => {
    let line: string;
    try {
      line = await work();
    } catch (error) {
      throw new PipelineApplyError(draft.name, name, done, error);
    }
    done.push(line);
    dependencies.progress?.(line);
  };

  for (const item of plan.topics) {
    if (item.action !== 'create') continue;
    await step(`creating topic ${item.topic.name}`, async () => {
      const [report] = await ensureTopics(dependencies.admin, [item.topic]);
      return `topic ${item.topic.name}: ${report?.state === 'created' ? 'created' : `found ${report?.state ?? 'missing'} (created by someone else meanwhile)`}`;
    });
  }
  const registry = dependencies.schemaRegistry;
  for (const item of plan.subjects) {
    if (item.action !== 'register' && item.action !== 'new-version') continue;
    await step(`registering ${item.file} under ${item.subject}`, async () => {
      // A new subject evolves under the level every Tributary subject has; an existing one keeps the level it was checked under.
      if (item.action === 'register') await registry.setCompatibilityLevel(item.subject, COMPATIBILITY_LEVEL);
      const id = await registry.register(item.subject, item.schema);
      const latest = await registry.latestSchema(item.subject);
      return `subject ${item.subject}: registered ${item.file} as version ${latest?.version ?? '?'} (schema id ${id})`;
    });
  }
  const starting = plan.featureJobs.filter(startsFeatureJob);
  if (starting.length > 0) {
    await step(`starting feature job ${starting.map((item) => item.jobName).join(' and ')}`, () => dependencies.deployFeatureJob(draft, starting));
  }
  for (const item of plan.workflows.filter(changesWorkflow)) {
    await step(`${item.action === 'update' ? 'updating' : item.action === 'stop' ? 'stopping' : 'starting'} ${item.id}`, () => applyWorkflow(item, dependencies.workflows));
  }
  let revision = plan.revision.action === 'unchanged' ? plan.revision.current : undefined;
  if (plan.revision.action === 'record') {
    await step(`recording revision ${plan.revision.revision}`, async () => {
      const outcome = await dependencies.store.record(draft);
      revision = outcome.revision;
      return outcome.recorded
        ? `revision ${outcome.revision.revision} of ${draft.name} recorded (digest ${outcome.revision.digest.slice(0, 12)}, by ${outcome.revision.appliedBy})`
        : `revision: ${draft.name} revision ${outcome.revision.revision} already has this digest (recorded meanwhile by ${outcome.revision.appliedBy})`;
    });
  }
  return { plan, done, revision: revision! };
}
