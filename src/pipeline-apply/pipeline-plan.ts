/**
 * What `pipeline apply` would change on the live system, found without changing anything: each
 * topic of the pipeline (and the shared ones its models use, platform-resources.ts) against the cluster, each value schema against its registry subject (with
 * the registry's own verdict and reasons), the feature jobs against what runs (a SQL job's query
 * checked on the gateway), and the revision against the pipeline store.
 */
import type { Admin } from 'kafkajs';
import type { SqlJob } from '../flink/sql-feature-job.js';
import { canonicalJson } from '../pipelines/pipeline-revision.js';
import type { PipelineRevision, PipelineStore, RevisionDraft } from '../pipelines/pipeline-store.js';
import { pipelineTopics, type PipelineTopic } from '../pipelines/pipeline-topics.js';
import { COMPATIBILITY_LEVEL } from '../streaming/schema-registrar.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { inspectTopics, type TopicDifference } from '../streaming/topic-admin.js';
import { valueSubject } from '../streaming/topic-catalogue.js';
import { platformSubjects, platformTopics, type PlatformTopic } from './platform-resources.js';
import { changesWorkflow, planWorkflows, renderWorkflowItem, type WorkflowControl, type WorkflowItem } from './workflow-plan.js';

/** A topic of the pipeline, or a shared one of the prefix its models use. */
type PlannedTopic = PipelineTopic | PlatformTopic;

export type TopicItem =
  | { readonly kind: 'topic'; readonly action: 'create'; readonly topic: PlannedTopic }
  | { readonly kind: 'topic'; readonly action: 'unchanged'; readonly topic: PlannedTopic }
  /** The topic exists with other settings; apply never alters an existing topic. */
  | { readonly kind: 'topic'; readonly action: 'differs'; readonly topic: PlannedTopic; readonly differences: readonly TopicDifference[] };

export type SubjectItem =
  | { readonly kind: 'subject'; readonly action: 'register'; readonly subject: string; readonly file: string; readonly schema: string }
  | { readonly kind: 'subject'; readonly action: 'unchanged'; readonly subject: string; readonly file: string; readonly latestVersion: number }
  | {
      readonly kind: 'subject';
      readonly action: 'new-version' | 'refused';
      readonly subject: string;
      readonly file: string;
      readonly schema: string;
      readonly latestVersion: number;
      /** The level the registry checked under. */
      readonly compatibilityLevel: string | undefined;
      /** The registry's reasons for a refusal; empty otherwise. */
      readonly reasons: readonly string[];
    };

/** A feature job (for a SQL pipeline, also its label join): what apply would do with it, in words a person reads. */
export interface FeatureJobItem {
  readonly kind: 'feature-job';
  /**
   * `deploy`/`upgrade`: apply starts flinkDeploy (a jar job); `submit`: apply submits it through the
   * SQL Gateway; `unchanged`: it runs; `refused`: the gateway refuses its query, so apply changes nothing.
   */
  readonly action: 'deploy' | 'upgrade' | 'submit' | 'unchanged' | 'refused';
  readonly jobName: string;
  readonly detail: string;
  /** A SQL job to upgrade: the job the applied revision built, which runs now. */
  readonly previous?: SqlJob;
}

export type RevisionItem =
  | { readonly kind: 'revision'; readonly action: 'record'; readonly revision: number; readonly draft: RevisionDraft; readonly current: PipelineRevision | undefined }
  | { readonly kind: 'revision'; readonly action: 'unchanged'; readonly current: PipelineRevision };

export type PlanItem = TopicItem | SubjectItem | FeatureJobItem | WorkflowItem | RevisionItem;

export interface PipelinePlan {
  readonly draft: RevisionDraft;
  readonly topics: readonly TopicItem[];
  readonly subjects: readonly SubjectItem[];
  /** The jar job; or a SQL pipeline's feature query and label join. */
  readonly featureJobs: readonly FeatureJobItem[];
  /** The model's trigger, drift monitor and schedule that the definition declares or that run. */
  readonly workflows: readonly WorkflowItem[];
  readonly revision: RevisionItem;
}

/** Finds what apply would do with the feature jobs, given the applied revision; the CLI passes the Flink-backed one. */
export type FeatureJobPlanner = (draft: RevisionDraft, applied: PipelineRevision | undefined) => Promise<readonly FeatureJobItem[]>;

/** Whether apply acts on a feature job. */
export const startsFeatureJob = (item: FeatureJobItem): boolean => item.action === 'deploy' || item.action === 'upgrade' || item.action === 'submit';

export interface PlanDependencies {
  /** Connected admin client of the cluster. */
  readonly admin: Admin;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'compatibilityLevel' | 'checkCompatibility'>;
  readonly store: Pick<PipelineStore, 'current' | 'history'>;
  readonly featureJob: FeatureJobPlanner;
  /** Where the model's workflows are read. */
  readonly workflows: Pick<WorkflowControl, 'observeTrigger' | 'observeDrift' | 'observeSchedule'>;
  /** The configured topic prefix. */
  readonly prefix: string;
  /** Replicas of each partition of a topic apply creates. @default 1 */
  readonly replicationFactor?: number;
}

/** Whether two schema texts are the same schema (formatting and key order aside). */
const sameSchema = (a: string, b: string): boolean => {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return a === b;
  }
};

export async function planPipeline(draft: RevisionDraft, dependencies: PlanDependencies): Promise<PipelinePlan> {
  const { admin, schemaRegistry, store } = dependencies;
  const topics = pipelineTopics(draft.definition, { prefix: dependencies.prefix, replicationFactor: dependencies.replicationFactor });
  const planned: PlannedTopic[] = [...topics, ...platformTopics({ prefix: dependencies.prefix, replicationFactor: dependencies.replicationFactor })];
  const topicItems = (await inspectTopics(admin, planned)).map((report): TopicItem => {
    if (report.state === 'missing') return { kind: 'topic', action: 'create', topic: report.topic };
    if (report.state === 'drift') return { kind: 'topic', action: 'differs', topic: report.topic, differences: report.differences };
    return { kind: 'topic', action: 'unchanged', topic: report.topic };
  });

  const wanted = [
    ...topics.flatMap((topic) => (topic.schemaFile === undefined ? [] : [{ subject: valueSubject(topic.name), file: topic.schemaFile, schema: draft.files[topic.schemaFile]! }])),
    ...platformSubjects(draft.definition, dependencies.prefix),
  ];
  const subjects: SubjectItem[] = [];
  for (const { subject, file, schema } of wanted) {
    const latest = await schemaRegistry.latestSchema(subject);
    if (!latest) {
      subjects.push({ kind: 'subject', action: 'register', subject, file, schema });
    } else if (sameSchema(latest.schema, schema)) {
      subjects.push({ kind: 'subject', action: 'unchanged', subject, file, latestVersion: latest.version });
    } else {
      const compatibilityLevel = await schemaRegistry.compatibilityLevel(subject);
      const verdict = await schemaRegistry.checkCompatibility(subject, schema);
      subjects.push({ kind: 'subject', action: verdict.compatible ? 'new-version' : 'refused', subject, file, schema, latestVersion: latest.version, compatibilityLevel, reasons: verdict.reasons });
    }
  }

  const current = await store.current(draft.name);
  const featureJobs = await dependencies.featureJob(draft, current);
  const workflows = await planWorkflows(draft.definition, current?.definition, dependencies.workflows);
  const revision: RevisionItem =
    current?.digest === draft.digest
      ? { kind: 'revision', action: 'unchanged', current }
      : { kind: 'revision', action: 'record', revision: (await store.history(draft.name)).length + 1, draft, current };
  return { draft, topics: topicItems, subjects, featureJobs, workflows, revision };
}

/** Whether apply would change anything. Topics that differ are reported, never altered, so they change nothing. */
export function planChanges(plan: PipelinePlan): boolean {
  return (
    plan.topics.some((item) => item.action === 'create') ||
    plan.subjects.some((item) => item.action === 'register' || item.action === 'new-version') ||
    plan.featureJobs.some(startsFeatureJob) ||
    plan.workflows.some(changesWorkflow) ||
    plan.revision.action === 'record'
  );
}

type RefusedSubject = Extract<SubjectItem, { readonly action: 'new-version' | 'refused' }> & { readonly action: 'refused' };
export type RefusedItem = RefusedSubject | (FeatureJobItem & { readonly action: 'refused' });

/** The subjects the registry would refuse and the feature jobs the SQL Gateway refuses: apply changes nothing while there is one. */
export const refusals = (plan: PipelinePlan): RefusedItem[] => [
  ...plan.subjects.filter((item): item is RefusedSubject => item.action === 'refused'),
  ...plan.featureJobs.filter((item): item is FeatureJobItem & { readonly action: 'refused' } => item.action === 'refused'),
];

const DAY_MS = 86_400_000;
const short = (digest: string): string => digest.slice(0, 12);

/** How long a topic keeps its records, in words. */
function retentionOf(configs: Readonly<Record<string, string>>): string {
  if (configs['cleanup.policy'] === 'compact') return 'compacted';
  if (configs['retention.ms'] === '-1') return 'kept forever';
  return `retention ${Number(configs['retention.ms']) / DAY_MS} days`;
}

/** One line per item, as `pipeline plan` prints them. */
export function renderPlanItem(item: PlanItem): string {
  switch (item.kind) {
    case 'topic': {
      const { topic } = item;
      if (item.action === 'create') return `topic ${topic.name}: create (${topic.role === 'platform' ? 'shared by the prefix\'s models' : topic.role}, ${topic.partitions} ${topic.partitions === 1 ? 'partition' : 'partitions'}, ${retentionOf(topic.configs)})`;
      if (item.action === 'unchanged') return `topic ${topic.name}: unchanged`;
      const differences = item.differences.map((difference) => `${difference.setting} ${difference.actual} (defined: ${difference.declared})`).join(', ');
      return `topic ${topic.name}: exists with other settings: ${differences}; apply leaves an existing topic as it is`;
    }
    case 'subject':
      switch (item.action) {
        case 'register':
          return `subject ${item.subject}: register ${item.file} as version 1 (compatibility ${COMPATIBILITY_LEVEL})`;
        case 'unchanged':
          return `subject ${item.subject}: unchanged (version ${item.latestVersion} is ${item.file})`;
        case 'new-version':
          return `subject ${item.subject}: register ${item.file} as the version after ${item.latestVersion} (the registry says compatible under ${item.compatibilityLevel ?? 'its default level'})`;
        case 'refused':
          return `subject ${item.subject}: the registry refuses ${item.file} after version ${item.latestVersion} under ${item.compatibilityLevel ?? 'its default level'}: ${item.reasons.length > 0 ? item.reasons.join('; ') : 'it gave no reason'}`;
      }
      break;
    case 'feature-job':
      return `feature job ${item.jobName}: ${item.detail}`;
    case 'workflow':
      return renderWorkflowItem(item);
    case 'revision':
      if (item.action === 'unchanged') return `revision: unchanged (${item.current.name} is at revision ${item.current.revision}, digest ${short(item.current.digest)})`;
      return `revision: record ${item.draft.name} revision ${item.revision} (digest ${short(item.draft.digest)}${item.current ? `; revision ${item.current.revision} is ${short(item.current.digest)}` : ''})`;
  }
}

/** Every line of a plan, in the order apply carries it out. */
export function renderPlan(plan: PipelinePlan): string[] {
  return [...plan.topics, ...plan.subjects, ...plan.featureJobs, ...plan.workflows, plan.revision].map(renderPlanItem);
}
