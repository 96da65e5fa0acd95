/**
 * The training pipeline's registry steps: register the candidate with its metrics and lineage,
 * then promote it, stage it as challenger or reject it. Each step is idempotent, because a
 * retried attempt may follow one whose effect landed but whose completion was lost. Registering and
 * promoting first check that the model's inputs are fields of the features topic's registered
 * schema (`src/registry/model-input-check.ts`). A network Tributary trained is registered as the
 * ONNX export the evaluation checked, when it accepted it (`src/models/trained-network-artifact.ts`).
 */
import { log } from '@temporalio/activity';
import type { ChangeAuthor, ModelLineage, ModelRegistry, ModelStage } from '../registry/model-registry.js';
import { serialiseOnnxArtifact } from '../registry/model-artifact.js';
import type { ModelRuntime } from '../registry/model-runtime.js';
import { checkModelInputs, checkVersionInputs, type RegisteredFeatureFields } from '../registry/model-input-check.js';
import { decodeCandidateModel } from '../training/candidate-model-file.js';
import { openOnnxModel } from '../models/onnx-model.js';
import type { OnnxExportVerdict } from '../models/onnx-export.js';
import { ONNX_EXPORT_TAG, trainedNetworkArtifact } from '../models/trained-network-artifact.js';
import { reportingFailures } from './application-failure.js';
import type { CandidateArtifacts } from './candidate-artifacts.js';
import type { DeploymentLog } from '../serving/deployment-log.js';

/** Tag that ties a version to the training run that registered it; makes registering idempotent. */
export const TRAINING_RUN_TAG = 'trainingRun';

export interface RegisterRequest {
  readonly model: string;
  readonly artifactPath: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** A classifier's decision threshold; absent for a regression, which decides nothing. */
  readonly threshold?: number;
  /** Everything but the code version, which the worker that registers knows. */
  readonly lineage: Omit<ModelLineage, 'codeVersion'>;
  /** The workflow id and run id of the training run. */
  readonly runKey: string;
  readonly author: ChangeAuthor;
}

/** A registered version, as the workflow needs it. */
export interface RegisteredVersion {
  readonly version: number;
  readonly stage: ModelStage;
  readonly codeVersion: string;
}

export interface StageRequest {
  readonly model: string;
  readonly version: number;
  readonly stage: Exclude<ModelStage, 'candidate'>;
  readonly author: ChangeAuthor;
}

export interface RegistryActivityDependencies {
  readonly registry: ModelRegistry;
  /** Where a new champion is published for the scorers to serve. */
  readonly deployments: DeploymentLog;
  readonly artifacts: CandidateArtifacts;
  /** The features topic's registered schema, which a model's inputs are checked against. */
  readonly features: RegisteredFeatureFields;
  /** Git commit or package version of the code this worker runs. */
  readonly codeVersion: string;
}

/** The threshold the registry and the artifact record: a classifier's own, null for a regression. */
const thresholdOf = (request: RegisterRequest): number | null => request.threshold ?? null;

/**
 * Turns the candidate file into the registry's artifact, now that evaluation has chosen the
 * threshold; refuses a candidate whose inputs the features topic's registered schema cannot feed.
 * A network Tributary trained is registered as its ONNX export when the evaluation's check
 * accepted it, else as the network; `tags` say which and why.
 */
async function registryArtifact(
  request: RegisterRequest,
  candidateFile: Uint8Array,
  exportVerdict: OnnxExportVerdict | undefined,
  codeVersion: string,
  features: RegisteredFeatureFields,
): Promise<{ bytes: Uint8Array; runtime: ModelRuntime; tags: Readonly<Record<string, string>> }> {
  const candidate = await decodeCandidateModel(candidateFile, openOnnxModel);
  try {
    checkModelInputs(request.model, undefined, candidate.spec, await features.featuresSchemaOf(request.model), 'registered');
    const described = {
      vectoriser: candidate.spec,
      task: candidate.task,
      threshold: thresholdOf(request),
      identity: candidate.identity,
      metadata: { model: request.model, trainedAt: new Date().toISOString(), backend: request.lineage.backend, codeVersion },
    };
    // A candidate from a trainer outside Tributary (docs/python-trainer.md) is registered as the ONNX model it returned.
    if (candidate.runtime === 'onnx') {
      const { bytes } = serialiseOnnxArtifact({ ...described, onnx: candidate.onnx, inputSignature: candidate.model.inputSignature, output: candidate.model.output });
      return { bytes, runtime: 'onnx', tags: {} };
    }
    const artifact = await trainedNetworkArtifact(described, candidate.model, exportVerdict);
    log.info(`${request.model}'s new version is registered with runtime ${artifact.runtime}: ${artifact.tags[ONNX_EXPORT_TAG]}`);
    return artifact;
  } finally {
    candidate.model.dispose();
  }
}

/** Creates the activities; the worker passes the Kafka-backed registry, tests an in-memory one. */
export function createRegistryActivities({ registry, deployments, artifacts, features, codeVersion }: RegistryActivityDependencies) {
  return {
    /** Registers the candidate as a new version in stage `candidate`; a retry finds the version its run already registered. */
    registerCandidate: reportingFailures(async (request: RegisterRequest): Promise<RegisteredVersion> => {
      // The model's first registration finds no model yet: nothing to be idempotent against.
      const versions = (await registry.listModels()).includes(request.model) ? await registry.listVersions(request.model) : [];
      const existing = versions.find((version) => version.tags[TRAINING_RUN_TAG] === request.runKey);
      if (existing !== undefined) return { version: existing.version, stage: existing.stage, codeVersion: existing.lineage.codeVersion };
      const artifact = await registryArtifact(request, await artifacts.read(request.artifactPath), await artifacts.readOnnxExport(request.artifactPath), codeVersion, features);
      const registered = await registry.registerVersion(
        {
          model: request.model,
          metrics: request.metrics,
          threshold: thresholdOf(request),
          lineage: { ...request.lineage, codeVersion },
          runtime: artifact.runtime,
          artifact: artifact.bytes,
          tags: { ...artifact.tags, [TRAINING_RUN_TAG]: request.runKey },
        },
        request.author,
      );
      await artifacts.remove(request.artifactPath);
      return { version: registered.version, stage: registered.stage, codeVersion };
    }),

    /**
     * Makes the version the champion: stage and alias, then the model's deployment, so scorers
     * serve it; each is skipped when already so. A version whose inputs the features topic's
     * registered schema cannot feed is refused before any of them. The model's first deployment
     * names its pipeline's features topic; later ones keep the topic the deployment has (a
     * blue/green feature-job upgrade moves it).
     */
    promoteToChampion: reportingFailures(async ({ model, version, author }: Omit<StageRequest, 'stage'>): Promise<void> => {
      const registered = await registry.getVersion(model, version);
      if (registered.stage !== 'champion') await checkVersionInputs(registry, features, model, version, 'promoted');
      if (registered.stage !== 'champion') await registry.setStage(model, version, 'champion', author);
      if ((await registry.resolveAlias(model, 'champion'))?.version !== version) await registry.setAlias(model, 'champion', version, author);
      const deployed = await deployments.latest(model);
      if (deployed?.champion?.version === version) return;
      await deployments.publish(model, {
        ...(deployed === undefined ? { featuresTopic: (await features.featuresSchemaOf(model)).topic } : {}),
        champion: { version, sha256: registered.artifact.sha256 },
        // A challenger of the same version would be served twice.
        ...(deployed?.challenger?.version === version ? { challenger: null } : {}),
        updatedBy: author.by,
        reason: author.reason,
      });
    }),

    /** Moves the version to a stage, unless it is already there. */
    setVersionStage: reportingFailures(async ({ model, version, stage, author }: StageRequest): Promise<void> => {
      if ((await registry.getVersion(model, version)).stage !== stage) await registry.setStage(model, version, stage, author);
    }),
  };
}

/** The activities as the workflows see them (import this type only). */
export type RegistryActivities = ReturnType<typeof createRegistryActivities>;
