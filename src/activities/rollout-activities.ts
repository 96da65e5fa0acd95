/**
 * The abRollout's activities: put the challenger in place (registry alias and stage), publish the
 * routing of each step to the deployments topic, read the live metrics, and record the final
 * decision in the registry and the deployment. Each is idempotent — a retried attempt may follow
 * one whose effect landed but whose completion was lost — so each checks what is already so
 * before changing it.
 */
import { Context } from '@temporalio/activity';
import { checkVersionInputs, type RegisteredFeatureFields } from '../registry/model-input-check.js';
import type { ChangeAuthor, ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import type { RolloutDefinition } from '../pipelines/pipeline-definition.js';
import type { PipelineRevision, PipelineStore } from '../pipelines/pipeline-store.js';
import { RolloutError } from '../rollout/errors.js';
import type { LiveMetrics, LiveMetricsScope } from '../rollout/live-metrics.js';
import type { LiveMetricsReader, LiveOffsets } from '../rollout/live-metrics-reader.js';
import { liveMetricsSourceOf, type LiveMetricsSource } from '../rollout/live-metrics-source.js';
import type { DeploymentLog } from '../serving/deployment-log.js';
import type { ChallengerMode, ModelDeployment, ServedModel } from '../serving/model-deployment.js';
import { reportingFailures } from './application-failure.js';

export interface RolloutActivityDependencies {
  readonly registry: ModelRegistry;
  readonly deployments: DeploymentLog;
  readonly liveMetrics: LiveMetricsReader;
  /** The features topic's registered schema, which a challenger's inputs are checked against before it is promoted. */
  readonly features: RegisteredFeatureFields;
  /** The pipelines' applied definitions: a rollout measures its model on the topics and label fields of its pipeline. */
  readonly pipelines: Pick<PipelineStore, 'current'>;
  /** The configured topic prefix, put in front of the topic names a definition holds. */
  readonly topicPrefix: string;
}

export interface PrepareRolloutRequest {
  readonly model: string;
  readonly challengerVersion: number;
  /** The champion the rollout expects; refused when the registry's champion is another one. Undefined: whichever is champion. */
  readonly championVersion?: number;
  readonly author: ChangeAuthor;
}

/** The two versions a rollout compares, as the deployments record serves them. */
export interface PreparedRollout {
  readonly champion: ServedModel;
  readonly challenger: ServedModel;
  /** What the rollout measures, from the pipeline's applied revision; absent from rollouts prepared before it was added. */
  readonly source?: LiveMetricsSource;
  /** The same revision's `rollout` section: the plan of a rollout started without one of its own. */
  readonly rollout?: RolloutDefinition;
}

/** Where a measurement starts: the model, and its pipeline's topics (absent in rollouts started before they were passed: read again). */
export interface SnapshotRequest {
  readonly model: string;
  readonly source?: LiveMetricsSource;
}

export interface RoutingRequest {
  readonly model: string;
  /** Published with every routing, so the deployment serves the champion the rollout compares against. */
  readonly champion: ServedModel;
  readonly challenger: ServedModel;
  readonly mode: Extract<ChallengerMode, 'SHADOW' | 'SPLIT'>;
  /** 0 to 1; 0 in SHADOW. */
  readonly share: number;
  readonly author: ChangeAuthor;
}

/** The deployment revision in force and the topic the model's scorers read. */
export interface PublishedRouting {
  readonly revision: number;
  readonly featuresTopic: string;
}

export interface LiveMetricsActivityRequest {
  readonly scope: LiveMetricsScope;
  readonly since: LiveOffsets;
  readonly featuresTopic: string;
  /** As prepareRollout returned it; absent in rollouts started before it was passed: read again from the pipeline. */
  readonly source?: LiveMetricsSource;
}

export interface DecisionRequest {
  readonly model: string;
  readonly action: 'promote' | 'rollback';
  readonly champion: ServedModel;
  readonly challenger: ServedModel;
  /** `reason` carries the figures the decision was made on. */
  readonly author: ChangeAuthor;
}

const served = (version: ModelVersion): ServedModel => ({ version: version.version, sha256: version.artifact.sha256 });
const published = (deployment: ModelDeployment): PublishedRouting => ({ revision: deployment.revision, featuresTopic: deployment.featuresTopic });

export function createRolloutActivities({ registry, deployments, liveMetrics, features, pipelines, topicPrefix }: RolloutActivityDependencies) {
  /** The applied revision of `model`'s pipeline; refused when the pipeline is not applied. */
  async function revisionOf(model: string): Promise<PipelineRevision> {
    const current = await pipelines.current(model);
    if (current === undefined) throw new RolloutError(model, `no pipeline named ${model} is applied, so its scores and labels topics are unknown; apply its definition first: \`tributary pipeline apply <file>\``);
    return current;
  }
  const sourceOf = async (model: string): Promise<LiveMetricsSource> => liveMetricsSourceOf(await revisionOf(model), topicPrefix);

  return {
    /**
     * Checks that the challenger can be rolled out against the current champion, and makes it the
     * challenger in the registry (stage and alias). A candidate becomes challenger; a rejected or
     * archived version, or the champion itself, is refused.
     */
    prepareRollout: reportingFailures(async ({ model, challengerVersion, championVersion, author }: PrepareRolloutRequest): Promise<PreparedRollout> => {
      const champion = await registry.resolveAlias(model, 'champion');
      if (champion === undefined) throw new RolloutError(model, 'the model has no champion to compare a challenger with; promote a first version with the training pipeline or `tributary models promote`');
      if (championVersion !== undefined && champion.version !== championVersion) {
        throw new RolloutError(model, `the rollout expects champion v${championVersion}, but the registry's champion is v${champion.version}`);
      }
      const challenger = await registry.getVersion(model, challengerVersion);
      if (challenger.version === champion.version) throw new RolloutError(model, `v${challengerVersion} is already the champion`);
      if (challenger.stage !== 'challenger' && challenger.stage !== 'candidate') {
        throw new RolloutError(model, `v${challengerVersion} is ${challenger.stage}; only a candidate or a challenger can be rolled out`);
      }
      // Read before anything changes, so a pipeline that is not applied refuses the rollout with nothing done.
      const pipeline = await revisionOf(model);
      if (challenger.stage === 'candidate') await registry.setStage(model, challengerVersion, 'challenger', author);
      if ((await registry.resolveAlias(model, 'challenger'))?.version !== challengerVersion) await registry.setAlias(model, 'challenger', challengerVersion, author);
      return {
        champion: served(champion),
        challenger: served(challenger),
        source: liveMetricsSourceOf(pipeline, topicPrefix),
        ...(pipeline.definition.rollout === undefined ? {} : { rollout: pipeline.definition.rollout }),
      };
    }),

    /** The committed end offsets of the pipeline's scores, labels and DLQ: where a step's measurement starts. */
    snapshotLiveOffsets: reportingFailures(async ({ model, source }: SnapshotRequest): Promise<LiveOffsets> => liveMetrics.snapshot(source ?? (await sourceOf(model)))),

    /** Publishes the challenger's routing; a deployment already routing so is left as it is. */
    publishRouting: reportingFailures(async ({ model, champion, challenger, mode, share, author }: RoutingRequest): Promise<PublishedRouting> => {
      const latest = await deployments.latest(model);
      const inPlace = latest?.champion?.version === champion.version && latest.challenger?.version === challenger.version && latest.challengerMode === mode && latest.challengerShare === share;
      if (inPlace) return published(latest);
      return published(await deployments.publish(model, { champion, challenger, challengerMode: mode, challengerShare: share, updatedBy: author.by, reason: author.reason }));
    }),

    /** Reads the live metrics since the step's offsets, heartbeating as each topic is read. */
    collectLiveMetrics: reportingFailures(async ({ source, ...request }: LiveMetricsActivityRequest): Promise<LiveMetrics> => {
      const context = Context.current();
      return liveMetrics.read({ ...request, source: source ?? (await sourceOf(request.scope.model)) }, () => context.heartbeat());
    }),

    /**
     * Ends the rollout in the registry and the deployment:
     * - promote: the challenger becomes champion (the old champion is archived), and the
     *   deployment serves the new champion alone; refused while the challenger's inputs are not
     *   fields of the features topic's registered schema;
     * - rollback: the challenger is rejected, and the deployment serves the champion alone.
     */
    recordDecision: reportingFailures(async ({ model, action, champion, challenger, author }: DecisionRequest): Promise<PublishedRouting> => {
      // The registry moves the aliases with the stages: a new champion archives the old one and
      // takes the champion alias from it and the challenger alias; a rejected version loses its alias.
      const { stage } = await registry.getVersion(model, challenger.version);
      if (action === 'promote' && stage !== 'champion') {
        await checkVersionInputs(registry, features, model, challenger.version, 'promoted');
        await registry.setStage(model, challenger.version, 'champion', author);
      }
      if (action === 'rollback' && stage === 'challenger') await registry.setStage(model, challenger.version, 'rejected', author);

      const target = action === 'promote' ? challenger : champion;
      const latest = await deployments.latest(model);
      if (latest?.champion?.version === target.version && latest.challenger === null) return published(latest);
      return published(await deployments.publish(model, { champion: target, challenger: null, challengerMode: 'NONE', challengerShare: 0, updatedBy: author.by, reason: author.reason }));
    }),
  };
}

/** The activities as the workflows see them (import this type only). */
export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
