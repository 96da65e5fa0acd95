/**
 * `tributary models import`: an ONNX model trained elsewhere becomes a new version of its
 * pipeline's model, measured by Tributary like any version it trains. The pipeline's applied
 * revision says what the model reads; the vectoriser is fitted on the training split of the
 * pipeline's own training-examples topic as it stands now, exactly as a training run fits it
 * (`prepareTrainingData`), so the imported graph must expect those columns in the spec's order;
 * the held-out test split measures it, and the champion on the same examples, with the
 * evaluation training uses. Every check comes before anything is registered.
 */
import type { EvaluationSummary } from '../activities/training-activities.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { serialiseOnnxArtifact } from '../registry/model-artifact.js';
import { checkModelInputs, type RegisteredFeatureFields } from '../registry/model-input-check.js';
import type { ChangeAuthor, ModelRegistry, ModelVersion, OffsetRange } from '../registry/model-registry.js';
import { evaluateCandidate, type ScorableModel } from '../training/evaluation.js';
import { loadDataset, type ExampleSource } from '../training/example-source.js';
import { pipelineTrainingInputs } from '../training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../training/training-data.js';
import { registryMetricsOf } from '../workflows/training-verdict.js';
import { openModelArtifact } from '../models/model-artifact-loader.js';
import { openOnnxModel } from '../models/onnx-model.js';
import type { RuntimeModel } from '../models/runtime-model.js';

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
}

export interface OnnxImportDependencies {
  readonly pipelines: Pick<PipelineStore, 'current'>;
  readonly examples: ExampleSource;
  readonly registry: Pick<ModelRegistry, 'registerVersion' | 'resolveAlias' | 'loadArtifact'>;
  /** The features topic's registered schema, which the model's inputs are checked against as at any registration. */
  readonly features: RegisteredFeatureFields;
  /** Git commit or package version of the code that imports. */
  readonly codeVersion: string;
  /** Bound on the read of the training examples. @default 600_000 */
  readonly readTimeoutMs?: number;
  /** Put before the topic names a definition gives, as `pipeline apply` creates them. */
  readonly topicPrefix: string;
}

/** The registered version and how it compared. */
export interface ImportedVersion {
  readonly version: ModelVersion;
  readonly evaluation: EvaluationSummary;
}

/**
 * Checks and registers the model as a new version in stage `candidate`. Throws, with nothing
 * registered: the ONNX model's refusals (`OnnxModelRefusedError`), the training layer's
 * (pipeline not applied, too few examples, a split without a class), the input check's
 * (`ModelInputMismatchError`), and the registry's.
 */
export async function importOnnxModel(request: OnnxImportRequest, dependencies: OnnxImportDependencies): Promise<ImportedVersion> {
  const { pipeline, file, onnx, by } = request;
  const { pipelines, examples, registry, features, codeVersion, readTimeoutMs = 600_000, topicPrefix } = dependencies;
  const inputs = await pipelineTrainingInputs(pipelines, pipeline);
  const { settings } = inputs;
  const snapshot = await examples.snapshot(`${topicPrefix}${inputs.examplesTopic}`);
  const ranges: OffsetRange[] = snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset }));
  const { set, split } = await loadDataset(examples, ranges, { fields: inputs.examples, minExamples: settings.minExamples, fractions: settings.splitFractions, read: { timeoutMs: readTimeoutMs } });
  const prepared = prepareTrainingData(split, inputs.vectoriser);
  checkModelInputs(pipeline, undefined, prepared.spec, await features.featuresSchemaOf(pipeline), 'registered');

  const model = await openOnnxModel(onnx, file, { pipeline, width: prepared.vectoriser.width, task: settings.task });
  let champion: (ScorableModel<RuntimeModel> & { readonly version: number }) | undefined;
  try {
    const championVersion = await registry.resolveAlias(pipeline, 'champion');
    if (championVersion !== undefined) {
      const opened = await openModelArtifact(await registry.loadArtifact(pipeline, championVersion.version), { sha256: championVersion.artifact.sha256, model: pipeline, version: championVersion.version });
      champion = { model: opened.model, vectoriser: opened.vectoriser, threshold: opened.threshold, task: opened.task, version: championVersion.version };
    }
    const result = await evaluateCandidate(split.test, { model, vectoriser: prepared.vectoriser, task: settings.task }, champion, { task: settings.task, operatingPoint: settings.decision });
    const evaluation: EvaluationSummary = {
      candidate: result.candidate,
      champion: champion === undefined || result.champion === undefined ? undefined : { version: champion.version, metrics: result.champion },
      comparison: result.comparison,
      ...(result.operatingPoints === undefined ? {} : { operatingPoints: result.operatingPoints }),
    };
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
          hyperParameters: { imported: true, task: settings.task, pipelineRevision: inputs.revision, decision: settings.decision, splitFractions: settings.splitFractions },
          backend: 'onnx',
          splitBoundaries: { ...split.boundaries },
          trainedBy: by,
        },
        tags: { ...request.tags, [IMPORTED_FROM_TAG]: file, ...(request.trainedOn === undefined ? {} : { [TRAINED_ON_TAG]: request.trainedOn }) },
      },
      author,
    );
    return { version, evaluation };
  } finally {
    model.dispose();
    champion?.model.dispose();
  }
}
