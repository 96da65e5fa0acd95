/**
 * The sections read from Kafka: models (the registry), deployments with their traffic (the
 * deployments topic) and each deployed model's scorer group (lag on its features topic) with
 * the rate of the scores topic.
 */
import type { Admin } from 'kafkajs';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import type { ModelDeployment } from '../serving/model-deployment.js';

export interface ModelRow {
  readonly model: string;
  readonly versions: number;
  readonly champion: number | null;
  readonly challenger: number | null;
  /** Test-split metrics of the champion (rocAuc, prAuc, …); empty without one. */
  readonly championMetrics: Readonly<Record<string, number>>;
  readonly latest: { readonly version: number; readonly stage: string } | null;
}

export async function modelRows(registry: Pick<ModelRegistry, 'listModels' | 'listVersions' | 'resolveAlias'>): Promise<ModelRow[]> {
  const models = await registry.listModels();
  return Promise.all(
    models.map(async (model): Promise<ModelRow> => {
      const [versions, champion, challenger] = await Promise.all([registry.listVersions(model), registry.resolveAlias(model, 'champion'), registry.resolveAlias(model, 'challenger')]);
      const latest: ModelVersion | undefined = versions.at(-1);
      return {
        model,
        versions: versions.length,
        champion: champion?.version ?? null,
        challenger: challenger?.version ?? null,
        championMetrics: champion?.metrics ?? {},
        latest: latest === undefined ? null : { version: latest.version, stage: latest.stage },
      };
    }),
  );
}

export interface ScorerRow {
  readonly model: string;
  readonly group: string;
  readonly featuresTopic: string;
  /** The group's state (Stable, Empty, …) and its members. */
  readonly groupState: string;
  readonly members: number;
  /** Records of the features topic after the group's committed offsets (the whole retained log of a partition it never committed). */
  readonly lag: number;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** Lag and membership of each deployed model's scorer group on its features topic. */
export async function scorerRows(admin: Admin, deployments: readonly ModelDeployment[], groupOf: (model: string) => string): Promise<ScorerRow[]> {
  const groups = deployments.map((deployment) => groupOf(deployment.model));
  const described = groups.length === 0 ? [] : (await admin.describeGroups(groups)).groups;
  return Promise.all(
    deployments.map(async (deployment, index): Promise<ScorerRow> => {
      const group = groups[index]!;
      const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(deployment.featuresTopic), admin.fetchOffsets({ groupId: group, topics: [deployment.featuresTopic] })]);
      const committedOf = new Map((committed[0]?.partitions ?? []).map((partition) => [partition.partition, Number(partition.offset)]));
      const lag = sum(ends.map((end) => Number(end.high) - Math.max(committedOf.get(end.partition) ?? -1, Number(end.low))));
      const description = described.find((entry) => entry.groupId === group);
      return { model: deployment.model, group, featuresTopic: deployment.featuresTopic, groupState: description?.state ?? 'Unknown', members: description?.members.length ?? 0, lag };
    }),
  );
}

/** Records written to `topic` per second over the last `windowMs` (offsets, so transaction markers count too: an upper bound). */
export async function topicRate(admin: Admin, topic: string, now: number, windowMs = 60_000): Promise<number> {
  const [ends, then] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchTopicOffsetsByTimestamp(topic, now - windowMs)]);
  // No record since the timestamp: Kafka answers -1 (nothing written in the window).
  const thenOf = new Map(then.map((partition) => [partition.partition, Number(partition.offset)]));
  const written = sum(
    ends.map((end) => {
      const from = thenOf.get(end.partition) ?? -1;
      return from < 0 ? 0 : Number(end.high) - Math.min(from, Number(end.high));
    }),
  );
  return written / (windowMs / 1000);
}
