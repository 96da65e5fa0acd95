/**
 * `tributary models import`: an ONNX model trained elsewhere becomes a new version of its
 * pipeline's model, measured by Tributary like any version it trains. The pipeline's applied
 * revision says what the model reads; the vectoriser is fitted on the training split of the
 * pipeline's own training-examples topic as it stands now, exactly as a training run fits it
 * (`prepareTrainingData`), so the imported graph must expect those columns in the spec's order;
 * the held-out test split measures it, and the champion on the same examples, with the
 * evaluation training uses. The training pipeline's verdict follows (`import-verdict.ts`): a model
 * that misses a gate is refused with nothing registered, unless the import asks to record it as
 * rejected; one that passes is registered and staged as a trained version that passed would be:
 * challenger when it beats the champion (its rollout is started by a person, with the command the
 * CLI prints), champion and deployed when the pipeline has none. Every check comes before anything
 * is registered.
 */
import type { EvaluationSummary } from '../activities/training-activities.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { serialiseOnnxArtifact } from '../registry/model-artifact.js';
import { checkModelInputs, type RegisteredFeatureFields } from '../registry/model-input-check.js';
import type { ChangeAuthor, ModelRegistry, ModelVersion, OffsetRange } from '../registry/model-registry.js';
import type { DeploymentLog } from '../serving/deployment-log.js';
import { evaluateCandidate, type ScorableModel } from '../training/evaluation.js';
import { loadDataset, type ExampleSource } from '../training/example-source.js';
import { pipelineTrainingInputs } from '../training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../training/training-data.js';
import { registryMetricsOf } from '../workflows/training-verdict.js';
import { openModelArtifact } from '../models/model-artifact-loader.js';
import { openOnnxModel } from '../models/onnx-model.js';
import type { RuntimeModel } from '../models/runtime-model.js';
import type { QualityGates } from '../workflows/training-pipeline.js';
import { ImportRefusedByGatesError } from './errors.js';
import { importOperatingPointGate, judgeImport, resolveImportGates, type ImportVerdict } from './import-verdict.js';

/** Tag naming the file a version was imported from. */
export const IMPORTED_FROM_TAG = 'importedFrom';
/** Tag carrying `--trained-on`: what the model was trained on, in the importer's words. */
export const TRAINED_ON_TAG = 'trainedOn';

export interface OnnxImportRequest {
  /** The pipeline, and its model. */
  readonly pipeline: string;
  /** The file's name, for messages and the version's tags. */
  readonly file: string;
  readonly onnx: Uint8Array;
  /** Who imports it: the version's `trainedBy` and the registration's author. */
  readonly by: string;
  /** What it was trained on, in the importer's words. @default none */
  readonly trainedOn?: string;
  /** Free-form tags for the version. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Gates over the pipeline's (its task's defaults, then its definition's `gates`), as a training run's input gives them. @default {} */
  readonly gates?: QualityGates;
  /** Registers a model that misses a gate anyway, in stage `rejected` with the verdict (never served). @default false: refused, nothing registered */
  readonly registerAnyway?: boolean;
}

export interface OnnxImportDependencies {
  readonly pipelines: Pick<PipelineStore, 'current'>;
  readonly examples: ExampleSource;
  readonly registry: Pick<ModelRegistry, 'registerVersion' | 'resolveAlias' | 'loadArtifact' | 'setStage' | 'setAlias'>;
  /** Where a model that becomes the first champion is published for the scorers to serve. */
  readonly deployments: Pick<DeploymentLog, 'latest' | 'publish'>;
  /** The features topic's registered schema, which the model's inputs are checked against as at any registration. */
  readonly features: RegisteredFeatureFields;
  /** Git commit or package version of the code that imports. */
  readonly codeVersion: string;
  /** Bound on the read of the training examples. @default 600_000 */
  readonly readTimeoutMs?: number;
  /** Put before the topic names a definition gives, as `pipeline apply` creates them. */
  readonly topicPrefix: string;
}

/** The registered version (in the stage the verdict gave it), how it compared, and the verdict. */
export interface ImportedVersion {
  readonly version: ModelVersion;
  readonly evaluation: EvaluationSummary;
  readonly verdict: ImportVerdict;
}

/**
 * Checks, judges and registers the model as a new version, staged by the verdict. Throws, with
 * nothing registered: invalid gates (`InvalidImportGatesError`), the ONNX model's refusals
 * (`OnnxModelRefusedError`), the training layer's (pipeline not applied, too few examples, a split
 * without a class), the input check's (`ModelInputMismatchError`), a missed gate without
 * `registerAnyway` (`ImportRefusedByGatesError`), and the registry's.
 */
export async function importOnnxModel(request: OnnxImportRequest, dependencies: OnnxImportDependencies): Promise<ImportedVersion> {
  const { pipeline, file, onnx, by } = request;
  const { pipelines, examples, registry, deployments, features, codeVersion, readTimeoutMs = 600_000, topicPrefix } = dependencies;
  const inputs = await pipelineTrainingInputs(pipelines, pipeline);
  const { settings } = inputs;
  // Before the examples are read: a mistyped gate costs nothing.
  const gates = resolveImportGates(pipeline, settings.task, inputs.gates, request.gates);
  const snapshot = await examples.snapshot(`${topicPrefix}${inputs.examplesTopic}`);
  const ranges: OffsetRange[] = snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset }));
  const { set, split } = await loadDataset(examples, ranges, { fields: inputs.examples, minExamples: settings.minExamples, fractions: settings.splitFractions, read: { timeoutMs: readTimeoutMs } });
  const prepared = prepareTrainingData(split, inputs.vectoriser);
  const featuresSchema = await features.featuresSchemaOf(pipeline);
  checkModelInputs(pipeline, undefined, prepared.spec, featuresSchema, 'registered');

  const model = await openOnnxModel(onnx, file, { pipeline, width: prepared.vectoriser.width, task: settings.task });
  let champion: (ScorableModel<RuntimeModel> & { readonly version: number }) | undefined;
  try {
    const championVersion = await registry.resolveAlias(pipeline, 'champion');
    if (championVersion !== undefined) {
      const opened = await openModelArtifact(await registry.loadArtifact(pipeline, championVersion.version), { sha256: championVersion.artifact.sha256, model: pipeline, version: championVersion.version });
      champion = { model: opened.model, vectoriser: opened.vectoriser, threshold: opened.threshold, task: opened.task, version: championVersion.version };
    }
    const result = await evaluateCandidate(split.test, { model, vectoriser: prepared.vectoriser, task: settings.task }, champion, {
      task: settings.task,
      primaryMetric: gates.primaryMetric,
      minimumImprovement: gates.minImprovement,
      // A regression has no threshold, so no operating point to compare.
      ...(settings.task === 'regression' ? {} : { operatingPoint: settings.decision, operatingPointGate: importOperatingPointGate(gates) }),
    });
    const evaluation: EvaluationSummary = {
      candidate: result.candidate,
      champion: champion === undefined || result.champion === undefined ? undefined : { version: champion.version, metrics: result.champion },
      comparison: result.comparison,
      ...(result.operatingPoints === undefined ? {} : { operatingPoints: result.operatingPoints }),
    };
    const verdict = judgeImport(evaluation, gates);
    if (verdict.stage === 'rejected' && request.registerAnyway !== true) throw new ImportRefusedByGatesError(pipeline, file, verdict.failures);
    const { candidate } = result;
    // A regression decides nothing: it has no threshold.
    const threshold = candidate.task === 'regression' ? null : candidate.operatingPoint.threshold;
    const trainedAt = new Date().toISOString();
    const { bytes } = serialiseOnnxArtifact({
      onnx,
      inputSignature: model.inputSignature,
      output: model.output,
      vectoriser: prepared.spec,
      task: settings.task,
      threshold,
      identity: inputs.identity,
      metadata: { model: pipeline, trainedAt, backend: 'onnx', codeVersion },
    });
    const author: ChangeAuthor = { by, reason: `imported ONNX model ${file}` };
    const version = await registry.registerVersion(
      {
        model: pipeline,
        metrics: registryMetricsOf(evaluation),
        threshold,
        runtime: 'onnx',
        artifact: bytes,
        lineage: {
          offsetRanges: ranges,
          featureSchemaId: set.schemaIds[set.schemaIds.length - 1] ?? 0,
          featureJobVersions: set.featureJobVersions,
          codeVersion,
          featureVectorVersion: prepared.spec.layoutVersion,
          // What Tributary chose for it; how it was trained is the importer's to say (the trainedOn tag).
          hyperParameters: { imported: true, task: settings.task, pipelineRevision: inputs.revision, decision: settings.decision, splitFractions: settings.splitFractions, gates, verdict: verdict.reason },
          backend: 'onnx',
          splitBoundaries: { ...split.boundaries },
          trainedBy: by,
        },
        tags: { ...request.tags, [IMPORTED_FROM_TAG]: file, ...(request.trainedOn === undefined ? {} : { [TRAINED_ON_TAG]: request.trainedOn }) },
      },
      author,
    );
    // The verdict is the stage change's reason, in the registry's history as a training run's is.
    const decision: ChangeAuthor = { by, reason: verdict.reason };
    await registry.setStage(pipeline, version.version, verdict.stage, decision);
    if (verdict.stage === 'champion') {
      await registry.setAlias(pipeline, 'champion', version.version, decision);
      // The pipeline's first deployment names its features topic, as a trained first champion's does.
      const deployed = await deployments.latest(pipeline);
      await deployments.publish(pipeline, {
        ...(deployed === undefined ? { featuresTopic: featuresSchema.topic } : {}),
        champion: { version: version.version, sha256: version.artifact.sha256 },
        updatedBy: by,
        reason: verdict.reason,
      });
    }
    return { version: { ...version, stage: verdict.stage }, evaluation, verdict };
  } finally {
    model.dispose();
    champion?.model.dispose();
  }
}
