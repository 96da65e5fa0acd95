/**
 * The model registry every machine shares: its state is the fold of the `model-registry-events`
 * log, rebuilt by each instance on start and caught up to the log's end before every read.
 */
import type { TributaryConfig } from '../config/config.js';
import { connectKafkaAdmin } from '../streaming/kafka-admin.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { RegistryStorageError } from './errors.js';
import { EventSourcedModelRegistry, type RegistryClockOptions } from './event-sourced-registry.js';
import { KafkaRegistryStore, type KafkaRegistryStoreDependencies, type KafkaRegistryStoreOptions } from './kafka-registry-store.js';

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
  const { kafka, admin } = await connectKafkaAdmin(config, 'model-registry', ({ action, reason, retriable, cause }) => new RegistryStorageError(action, reason, { retriable, cause }));
  try {
    return await KafkaModelRegistry.open({ kafka, admin, schemaRegistry: createSchemaRegistryClient(config.schemaRegistry), config }, options, () => admin.disconnect());
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
}
