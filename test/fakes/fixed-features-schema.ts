/** A features schema source for registry and rollout activity tests: one fixed schema, and the models it was asked for. */
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import type { FeaturesSchema, RegisteredFeatureFields } from '../../src/registry/model-input-check.js';

export interface FixedFeaturesSchema extends RegisteredFeatureFields {
  /** The model of every call, in order. */
  readonly asked: string[];
  /** Replaces the schema answered from now on (a test's evolved features schema). */
  set(fields: ReadonlyMap<string, AvroField>, version: number): void;
}

export function fixedFeaturesSchema(fields: ReadonlyMap<string, AvroField>, subject = 'tributary.features-value', version = 1): FixedFeaturesSchema {
  const topic = subject.replace(/-value$/, '');
  let schema: FeaturesSchema = { topic, subject, version, fields };
  const asked: string[] = [];
  return {
    asked,
    set(next, nextVersion) {
      schema = { topic, subject, version: nextVersion, fields: next };
    },
    featuresSchemaOf(model) {
      asked.push(model);
      return Promise.resolve(schema);
    },
  };
}
