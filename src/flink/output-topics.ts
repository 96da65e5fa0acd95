/**
 * Kafka side of a blue/green upgrade: the new version's output topic is created as a twin of
 * the old one (partitions, replication, topic configs, value schema), and the old topic's
 * committed end offsets mark where the two outputs may overlap.
 */
// kafkajs is CommonJS, and Node's ESM loader cannot see ConfigResourceTypes as a named export.
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { reasonOf } from '../errors/tributary-error.js';
import type { PartitionOffset } from '../serving/model-deployment.js';
import { COMPATIBILITY_LEVEL } from '../streaming/schema-registrar.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { valueSubject } from '../streaming/topic-catalogue.js';
import { OutputTopicError } from './deployment-errors.js';

/** What a blue/green upgrade does with output topics. */
export interface OutputTopics {
  /**
   * Creates `topic` like `template` and registers the template's latest value schema under the
   * new topic's subject (BACKWARD). Idempotent; refuses a `topic` that exists with another
   * partition count.
   */
  createLike(template: string, topic: string): Promise<{ readonly created: boolean; readonly partitions: number }>;
  /** The topic's end offsets for read_committed readers (last stable offsets), per partition in partition order. */
  committedEnds(topic: string): Promise<PartitionOffset[]>;
}

/** {@link OutputTopics} over Kafka and the Schema Registry. */
export class KafkaOutputTopics implements OutputTopics {
  constructor(
    private readonly kafka: Kafka,
    private readonly registry: Pick<SchemaRegistryClient, 'latestSchema' | 'compatibilityLevel' | 'setCompatibilityLevel' | 'register'>,
  ) {}

  async createLike(template: string, topic: string): Promise<{ created: boolean; partitions: number }> {
    const result = await this.withAdmin(template, async (admin) => {
      const metadata = (await admin.fetchTopicMetadata({ topics: [template] })).topics[0];
      const partitions = metadata?.partitions.length ?? 0;
      if (partitions === 0) throw new OutputTopicError(topic, `cannot be created like ${template}: ${template} has no partitions (does it exist?)`, false);
      const replicationFactor = metadata?.partitions[0]?.replicas.length ?? 1;
      const described = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: template }], includeSynonyms: false });
      // Only what was set on the template topic itself; broker defaults stay defaults.
      const configEntries = (described.resources[0]?.configEntries ?? [])
        .filter((entry) => entry.configSource === kafkajs.ConfigSource.TOPIC_CONFIG)
        .map((entry) => ({ name: entry.configName, value: entry.configValue }));
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: true, timeout: 30_000 });
      if (!created) {
        const existing = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0;
        if (existing !== partitions) throw new OutputTopicError(topic, `exists with ${existing} partition(s) but ${template} has ${partitions}; delete it or deploy under another version`, false);
      }
      return { created, partitions };
    });
    await this.copyValueSchema(template, topic);
    return result;
  }

  committedEnds(topic: string): Promise<PartitionOffset[]> {
    return this.withAdmin(topic, async (admin) =>
      (await admin.fetchTopicOffsets(topic)).map((entry) => ({ partition: entry.partition, offset: entry.high })).sort((a, b) => a.partition - b.partition),
    );
  }

  private async copyValueSchema(template: string, topic: string): Promise<void> {
    const latest = await this.registry.latestSchema(valueSubject(template));
    if (!latest) throw new OutputTopicError(topic, `cannot take its value schema from ${template}: subject ${valueSubject(template)} has none registered`, false);
    const subject = valueSubject(topic);
    if ((await this.registry.compatibilityLevel(subject)) !== COMPATIBILITY_LEVEL) await this.registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
    await this.registry.register(subject, latest.schema);
  }

  private async withAdmin<T>(topic: string, body: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return await body(admin);
    } catch (error) {
      if (error instanceof OutputTopicError) throw error;
      throw new OutputTopicError(topic, `could not be read or created: ${reasonOf(error)}`, true, error);
    } finally {
      await admin.disconnect();
    }
  }
}
