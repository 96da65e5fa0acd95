/**
 * Everything `tributary report <model>` shows, as plain data: gathered by gather-report.ts from
 * the registry, Kafka and Temporal, drawn by render-report.ts.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { ModelStage } from '../registry/model-registry.js';
import type { Section } from '../sections/section.js';
import type { RolloutOutcome, RolloutStatus } from '../workflows/ab-rollout.js';
import type { DriftMonitorState } from '../workflows/drift-monitor.js';
import type { TrafficTimeline, VersionEvaluation } from './version-evaluation.js';

export interface ReportVersion {
  readonly version: number;
  readonly stage: ModelStage;
  readonly createdAt: string;
  /** Null for a regression. */
  readonly threshold: number | null;
  /** Test-split metrics recorded at registration. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly trainedBy: string;
}

/** A long-running workflow of the model as it was found: its state, the answer of its status query and, once it completed, its result. */
export interface WorkflowView<State, Result = never> {
  readonly workflowId: string;
  /** RUNNING, COMPLETED, … or `not found`. */
  readonly state: string;
  /** Null when the workflow does not exist or its status query had no answer. */
  readonly status: State | null;
  /** The result of a completed run (read from its history, no worker needed); null otherwise. */
  readonly result: Result | null;
  /** Why the status query had no answer; null when it answered or there was nothing to ask. */
  readonly problem: string | null;
}

/** What was read from Kafka for the live figures. */
export interface ReportDataWindow {
  readonly scoresTopic: string;
  readonly labelsTopic: string;
  /** Records read (every model's) and those that did not decode. */
  readonly scoresRead: number;
  readonly labelsRead: number;
  readonly undecodable: number;
  /** Epoch ms of the model's first and last score read; null without any. */
  readonly firstScoredAt: number | null;
  readonly lastScoredAt: number | null;
}

export interface ModelReport {
  readonly model: string;
  /** The model's task, from its pipeline's definition: what the quality section shows. */
  readonly task: ModelTask;
  /** Epoch ms. */
  readonly generatedAt: number;
  readonly versions: readonly ReportVersion[];
  readonly championVersion: number | null;
  readonly challengerVersion: number | null;
  readonly data: ReportDataWindow;
  /** The champion's, then the challenger's (when there is one). */
  readonly evaluations: readonly VersionEvaluation[];
  readonly timeline: TrafficTimeline | null;
  readonly rollout: Section<WorkflowView<RolloutStatus, RolloutOutcome>>;
  readonly drift: Section<WorkflowView<DriftMonitorState>>;
}
