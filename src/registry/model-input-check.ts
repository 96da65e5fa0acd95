/**
 * The check that a model can read its features topic: every input of its vectoriser spec must be a
 * field of the features topic's registered schema, of a type the encoding reads. A model that
 * fails it would dead-letter every record, so it is refused at registration and at promotion, with
 * one line naming the field. The registered schema is reached through {@link RegisteredFeatureFields},
 * which the worker wires to the Schema Registry and tests fake.
 */
import type { AvroField } from '../pipelines/avro-fields.js';
import { inputMismatch } from '../vectoriser/schema-compatibility.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import { ModelInputMismatchError } from './errors.js';
import { readArtifactSpec } from './model-artifact.js';
import type { ModelRegistry } from './model-registry.js';

/** The schema the features topic of a model is registered with now. */
export interface FeaturesSchema {
  /** The features topic (with the topic prefix) whose schema this is, e.g. `tributary.features`. */
  readonly topic: string;
  /** Where it is registered, e.g. `tributary.features-value`. */
  readonly subject: string;
  readonly version: number;
  readonly fields: ReadonlyMap<string, AvroField>;
}

/** Reads the registered schema of the topic a model's scorers read. */
export interface RegisteredFeatureFields {
  featuresSchemaOf(model: string): Promise<FeaturesSchema>;
}

/** What the refused model was about to become. */
export type InputCheckStep = 'registered' | 'promoted';

/**
 * Throws {@link ModelInputMismatchError} naming the first input of `spec` the schema cannot feed;
 * `version` is undefined for a model not registered yet.
 */
export function checkModelInputs(model: string, version: number | undefined, spec: VectoriserSpec, schema: FeaturesSchema, step: InputCheckStep): void {
  const mismatch = inputMismatch(spec, schema.fields);
  if (mismatch === undefined) return;
  const subject = version === undefined ? `the new version of model ${model}` : `model ${model} v${version}`;
  const where = `the features topic's registered schema (${schema.subject} version ${schema.version})`;
  throw new ModelInputMismatchError(
    mismatch.field,
    `${subject} is not ${step}: it ${mismatch.problem.replace('the schema', where)}; register a features schema that has the field as the model reads it, or retrain with inputs that match`,
    { model, ...(version === undefined ? {} : { version }) },
  );
}

/** {@link checkModelInputs} of a registered version, reading the spec from its artifact. */
export async function checkVersionInputs(
  registry: Pick<ModelRegistry, 'getVersion' | 'loadArtifact'>,
  features: RegisteredFeatureFields,
  model: string,
  version: number,
  step: InputCheckStep,
): Promise<void> {
  const registered = await registry.getVersion(model, version);
  const spec = readArtifactSpec(await registry.loadArtifact(model, version), { sha256: registered.artifact.sha256, model, version });
  checkModelInputs(model, version, spec, await features.featuresSchemaOf(model), step);
}
