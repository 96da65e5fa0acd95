/**
 * The model registry every machine shares: its state is the fold of the `model-registry-events`
 * log, rebuilt by each instance on start and caught up to the log's end before every read.
 */
import { logLevel, type Admin } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { createKafka, kafkaAccessError } from '../streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { RegistryStorageError } from './errors.js';
import { EventSourcedModelRegistry, type RegistryClockOptions } from './event-sourced-registry.js';
import { KafkaRegistryStore, type KafkaRegistryStoreDependencies, type KafkaRegistryStoreOptions } from './kafka-registry-store.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Options of {@link createModelRegistry}. */
export interface KafkaModelRegistryOptions extends KafkaRegistryStoreOptions, RegistryClockOptions {}

/** A {@link ModelRegistry} on Kafka; call {@link KafkaModelRegistry.close} when done. */
export class KafkaModelRegistry extends EventSourcedModelRegistry {
  private constructor(
    store: KafkaRegistryStore,
    private readonly release: () => Promise<void>,
    options: RegistryClockOptions,
  ) {
    super(store, options);
  }

  /**
   * Opens a registry on existing clients: replays the event log into a fresh index before
   * returning. The caller keeps ownership of `dependencies.admin`.
   */
  static async open(dependencies: KafkaRegistryStoreDependencies, options: KafkaModelRegistryOptions = {}, release: () => Promise<void> = () => Promise.resolve()): Promise<KafkaModelRegistry> {
    return new KafkaModelRegistry(await KafkaRegistryStore.open(dependencies, options), release, options);
  }

  /** Stops following the event log and releases the clients the registry owns. */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      await this.release();
    }
  }
}

/**
 * Connects to the configured Kafka and Schema Registry and opens a {@link KafkaModelRegistry}.
 * The topics and schemas must exist (`tributary topics ensure`, `tributary schemas register`).
 */
export async function createModelRegistry(config: TributaryConfig, options: KafkaModelRegistryOptions = {}): Promise<KafkaModelRegistry> {
  // Failures are thrown as typed errors with their reason, so kafkajs's own log would only repeat them.
  const kafka = createKafka(config, { clientIdSuffix: 'model-registry', logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    // Rejected credentials are named as such and not retried; anything else may be a broker still starting.
    const refusal = kafkaAccessError(kafka, error, { operation: 'read' });
    throw new RegistryStorageError(`connecting to Kafka at ${config.kafka.brokers.join(',')}`, refusal?.message ?? reasonOf(error), { retriable: refusal === undefined, cause: refusal ?? error });
  }
  try {
    return await KafkaModelRegistry.open({ kafka, admin, schemaRegistry: createSchemaRegistryClient(config.schemaRegistry), config }, options, () => admin.disconnect());
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
}
