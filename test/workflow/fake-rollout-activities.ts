/**
 * Fakes of the rollout activities, per model: the live metrics a test sets (built from confusion
 * counts), switches that make an activity fail, and records of every routing published and every
 * decision recorded.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { DecisionRequest, PublishedRouting, RolloutActivities, RoutingRequest } from '../../src/activities/rollout-activities.js';
import type { RolloutDefinition } from '../../src/pipelines/pipeline-definition.js';
import type { LiveMetrics } from '../../src/rollout/live-metrics.js';
import type { LiveOffsets } from '../../src/rollout/live-metrics-reader.js';
import type { LiveMetricsSource } from '../../src/rollout/live-metrics-source.js';
import { emptyScoreHistogram } from '../../src/rollout/psi.js';
import { labelledCount, variantRates, type ConfusionCounts } from '../../src/rollout/variant-metrics.js';

export const CHAMPION_VERSION = 1;
export const CHALLENGER_VERSION = 2;
const sha = (version: number): string => String(version).repeat(64).slice(0, 64);

/** Live metrics from confusion counts per variant; latency and DLQ may be set. */
export function liveMetrics(champion: ConfusionCounts, challenger: ConfusionCounts, extra: { championP99Ms?: number; challengerP99Ms?: number; dlqRecords?: number } = {}): LiveMetrics {
  const variant = (version: number, counts: ConfusionCounts, p99: number) => ({
    version,
    scored: labelledCount(counts),
    confusion: counts,
    rates: variantRates(counts, 0.95),
    latencyMs: { p50: p99 / 2, p99 },
    scoreHistogram: emptyScoreHistogram(),
  });
  const scored = labelledCount(champion) + labelledCount(challenger);
  const dlqRecords = extra.dlqRecords ?? 0;
  return {
    champion: variant(CHAMPION_VERSION, champion, extra.championP99Ms ?? 50),
    challenger: variant(CHALLENGER_VERSION, challenger, extra.challengerP99Ms ?? 50),
    scorePsi: 0,
    dlq: { records: dlqRecords, intake: scored + dlqRecords, rate: dlqRecords / (scored + dlqRecords) },
    scoresRead: scored,
    labelsRead: scored,
    undecodable: 0,
  };
}

/** 1000 labelled scores at 10 % fraud: recall 0.7, false-positive rate 0.02. */
export const BASELINE: ConfusionCounts = { truePositives: 70, falseNegatives: 30, falsePositives: 18, trueNegatives: 882 };
/** Same size, recall 0.95: significantly better. */
export const BETTER: ConfusionCounts = { truePositives: 95, falseNegatives: 5, falsePositives: 18, trueNegatives: 882 };
/** Same size, false-positive rate 0.2: far worse beyond any margin. */
export const WORSE_FPR: ConfusionCounts = { truePositives: 70, falseNegatives: 30, falsePositives: 180, trueNegatives: 720 };

/** The source prepareRollout answers: the pipeline's topics and label fields. */
export const FAKE_SOURCE: LiveMetricsSource = { task: 'binary-classification', topics: { scores: 'p.scores', labels: 'p.labels', dlq: 'p.dlq' }, labelKey: 'event_key', labelField: 'outcome', pipelineRevision: 1 };

export interface FakeRolloutSwitches {
  /** The `rollout` section of the pipeline's definition prepareRollout answers. @default none */
  definition?: RolloutDefinition;
  /** What collectLiveMetrics answers; undefined: it fails as an unreachable Kafka would. */
  metrics: LiveMetrics | undefined;
  /** prepareRollout refuses with this message (non-retryable), as the registry would. */
  prepareRefusal?: string;
  /** publishRouting refuses with this message (non-retryable), as the deployment rules would. */
  routingRefusal?: string;
}

export interface FakeRolloutRecord {
  /** The source each snapshot and metrics read was given. */
  sources: (LiveMetricsSource | undefined)[];
  routings: RoutingRequest[];
  decisions: DecisionRequest[];
  metricsCalls: number;
  revision: number;
}

export function createFakeRolloutActivities() {
  const switches = new Map<string, FakeRolloutSwitches>();
  const records = new Map<string, FakeRolloutRecord>();
  const switchesOf = (model: string): FakeRolloutSwitches => {
    let found = switches.get(model);
    if (found === undefined) switches.set(model, (found = { metrics: liveMetrics(BASELINE, BASELINE) }));
    return found;
  };
  const recordOf = (model: string): FakeRolloutRecord => {
    let found = records.get(model);
    if (found === undefined) records.set(model, (found = { sources: [], routings: [], decisions: [], metricsCalls: 0, revision: 10 }));
    return found;
  };
  const offsets: LiveOffsets = { scores: [{ partition: 0, offset: '5' }], labels: [{ partition: 0, offset: '7' }], dlq: [{ partition: 0, offset: '0' }] };

  const activities: RolloutActivities = {
    prepareRollout: async ({ model, challengerVersion }) => {
      const refusal = switchesOf(model).prepareRefusal;
      if (refusal !== undefined) throw ApplicationFailure.nonRetryable(refusal, 'RolloutError');
      const definition = switchesOf(model).definition;
      return {
        champion: { version: CHAMPION_VERSION, sha256: sha(CHAMPION_VERSION) },
        challenger: { version: challengerVersion, sha256: sha(challengerVersion) },
        source: FAKE_SOURCE,
        ...(definition === undefined ? {} : { rollout: definition }),
      };
    },
    snapshotLiveOffsets: async ({ model, source }) => {
      recordOf(model).sources.push(source);
      return offsets;
    },
    publishRouting: async (request): Promise<PublishedRouting> => {
      const refusal = switchesOf(request.model).routingRefusal;
      if (refusal !== undefined) throw ApplicationFailure.nonRetryable(refusal, 'DeploymentError');
      const record = recordOf(request.model);
      record.routings.push(request);
      record.revision += 1;
      return { revision: record.revision, featuresTopic: 'tributary.features' };
    },
    collectLiveMetrics: async (request) => {
      const model = request.scope.model;
      recordOf(model).metricsCalls += 1;
      recordOf(model).sources.push(request.source);
      const metrics = switchesOf(model).metrics;
      if (metrics === undefined) throw ApplicationFailure.nonRetryable('the broker is unreachable', 'OffsetSnapshotError');
      return metrics;
    },
    recordDecision: async (request) => {
      const record = recordOf(request.model);
      record.decisions.push(request);
      record.revision += 1;
      return { revision: record.revision, featuresTopic: 'tributary.features' };
    },
  };
  return { activities, switchesOf, recordOf };
}
