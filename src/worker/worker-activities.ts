/** The activities each worker role registers, wired to the real Kafka and Schema Registry. */
import { createDriftActivities } from '../activities/drift-activities.js';
import { createExampleActivities } from '../activities/example-activities.js';
import { createExternalTrainerActivities } from '../activities/external-trainer-activities.js';
import { createLocalCandidateArtifacts } from '../activities/candidate-artifacts.js';
import { createRegistryActivities } from '../activities/registry-activities.js';
import { createRolloutActivities } from '../activities/rollout-activities.js';
import { createTrainingActivities } from '../activities/training-activities.js';
import type { TributaryConfig } from '../config/config.js';
import { kafkaDriftMeasurement } from '../drift/kafka-drift-measurement.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { createLiveMetricsReader, type LiveMetricsReader } from '../rollout/live-metrics-reader.js';
import type { DeploymentLog } from '../serving/deployment-log.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { prePipelineTopicName } from '../streaming/pre-pipeline-topics.js';
import { createKafkaExampleSource, type ExampleSource } from '../training/example-source.js';
import { resolveCodeVersion } from './code-version.js';
import { schemaRegistryFeatureFields } from './registered-feature-fields.js';

/** What the activities of both roles share. */
export interface WorkerActivityDependencies {
  readonly registry: ModelRegistry;
  /**
   * Where trained candidates wait between training (training role) and registration
   * (orchestration role): storage both roles reach when they run on different machines.
   */
  readonly artifactDirectory: string;
  /** The pipelines' applied definitions: what each model reads and which field is its label. */
  readonly pipelines: PipelineStore;
}

/**
 * The pipelines' training-examples topics, decoded in their writer's shape (training reads fields
 * by the names the definition gives). The pre-pipeline topic stays the default for runs started
 * before pipelines had their own topics, whose pinned offsets name it.
 */
export function kafkaExampleSource(config: TributaryConfig): ExampleSource {
  return createKafkaExampleSource({
    topic: prePipelineTopicName(config, 'training-examples'),
    reader: createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'worker' })),
    decoder: createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry)),
  });
}

/** A rollout's live metrics from the scores, labels and DLQ topics its pipeline names. */
function kafkaLiveMetricsReader(config: TributaryConfig): LiveMetricsReader {
  return createLiveMetricsReader({
    reader: createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'rollout-metrics' }), { groupIdPrefix: `${config.topics.prefix}rollout-metrics` }),
    decoder: createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry)),
  });
}

/** The orchestration role's activities: offsets and counts for the trigger, the registry steps, the rollout's and the drift checks. */
export function createOrchestrationActivities(config: TributaryConfig, { registry, artifactDirectory, pipelines }: WorkerActivityDependencies, deployments: DeploymentLog) {
  const features = schemaRegistryFeatureFields(config, deployments, pipelines);
  return {
    ...createExampleActivities({ examples: kafkaExampleSource(config), pipelines, topicPrefix: config.topics.prefix }),
    ...createRegistryActivities({ registry, deployments, artifacts: createLocalCandidateArtifacts(artifactDirectory), features, codeVersion: resolveCodeVersion() }),
    ...createRolloutActivities({ registry, deployments, liveMetrics: kafkaLiveMetricsReader(config), features, pipelines, topicPrefix: config.topics.prefix }),
    ...createDriftActivities({ measurement: kafkaDriftMeasurement(config, registry, pipelines) }),
  };
}

/** The training role's activities: dataset, training and evaluation, and the steps around an external trainer (which writes its model into the artifact directory). */
export function createTrainingWorkerActivities(config: TributaryConfig, { registry, artifactDirectory, pipelines }: WorkerActivityDependencies) {
  const examples = kafkaExampleSource(config);
  const artifacts = createLocalCandidateArtifacts(artifactDirectory);
  return {
    ...createTrainingActivities({ examples, registry, artifacts, pipelines }),
    ...createExternalTrainerActivities({ examples, pipelines, artifacts, artifactDirectory }),
  };
}
