/** Every activity the worker registers, wired to the real Kafka and Schema Registry. */
import { join } from 'node:path';
import { createExampleActivities } from '../activities/example-activities.js';
import { createLocalCandidateArtifacts } from '../activities/candidate-artifacts.js';
import { createRegistryActivities } from '../activities/registry-activities.js';
import { createTrainingActivities } from '../activities/training-activities.js';
import type { TributaryConfig } from '../config/config.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { SCHEMA_DIRECTORY, topicDeclaration, topicName } from '../streaming/topic-catalogue.js';
import { createKafkaExampleSource } from '../training/example-source.js';
import { resolveCodeVersion } from './code-version.js';

/** The activities with their real dependencies. */
export function createWorkerActivities(config: TributaryConfig, { registry, artifactDirectory }: { registry: ModelRegistry; artifactDirectory: string }) {
  const schema = topicDeclaration('training-examples').valueSchema;
  if (schema.kind !== 'avro-file') throw new Error('the training-examples topic declares no Avro schema');
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry), {
    // Every compatible writer version decodes into the shape this build trains on.
    readerSchema: loadSchemaFile(join(SCHEMA_DIRECTORY, schema.file)).type,
  });
  const examples = createKafkaExampleSource({
    topic: topicName(config, 'training-examples'),
    reader: createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'worker' })),
    decoder,
  });
  const artifacts = createLocalCandidateArtifacts(artifactDirectory);
  return {
    ...createExampleActivities({ examples }),
    ...createTrainingActivities({ examples, registry, artifacts }),
    ...createRegistryActivities({ registry, artifacts, codeVersion: resolveCodeVersion() }),
  };
}
