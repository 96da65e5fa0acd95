/**
 * The fraud example's definition file, and the Kafka topics its simulator writes as that file
 * names them: the first source's topic (transactions) and the labels topic, under the configured
 * topic prefix. Reading them from the definition keeps the simulator on whatever topics the
 * pipeline applies, instead of on names of the platform's topic catalogue.
 */
import { fileURLToPath } from 'node:url';
import type { TopicNaming } from '../../src/streaming/topic-catalogue.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

/** examples/fraud/pipeline.yaml. */
export const FRAUD_PIPELINE_FILE = fileURLToPath(new URL('./pipeline.yaml', import.meta.url));

/** The Kafka topics (prefix included) the simulator writes, by the kind of event. */
export interface SimulatorTopics {
  readonly transactions: string;
  readonly labels: string;
}

/** The fraud definition, validated; throws `PipelineDefinitionError` with every problem when the file is not valid. */
export function loadFraudDefinition(): PipelineDefinition {
  return loadPipelineDefinition(FRAUD_PIPELINE_FILE);
}

/** Where the simulator's events go: the definition's first source and its labels topic, under `config`'s prefix. */
export function simulatorTopics(config: TopicNaming, definition: PipelineDefinition = loadFraudDefinition()): SimulatorTopics {
  const [source] = definition.sources;
  // The schema requires at least one source; a definition object built in code might not.
  if (source === undefined) throw new RangeError(`pipeline ${definition.name} has no source topic for the simulator's transactions`);
  return { transactions: `${config.topics.prefix}${source.topic}`, labels: `${config.topics.prefix}${definition.labels.topic}` };
}

/**
 * Whether the definition's feature job waits for the watermark before it describes a transaction
 * (`--feature-timing event-time` in features.job.args). The job's default, and the example's, is
 * `arrival`: each transaction is described when it arrives (feature-job/README.md).
 */
export function featuresWaitForWatermark(definition: PipelineDefinition): boolean {
  const args = definition.features.job.kind === 'jar' ? (definition.features.job.args ?? []) : [];
  const flag = args.indexOf('--feature-timing');
  return flag >= 0 && args[flag + 1] === 'event-time';
}
