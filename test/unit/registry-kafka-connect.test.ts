import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RegistryStorageError } from '../../src/registry/errors.js';
import { createModelRegistry } from '../../src/registry/kafka-model-registry.js';

describe('createModelRegistry', () => {
  it('reports a broker it cannot connect to as a retriable RegistryStorageError naming the brokers (through connectKafkaAdmin)', async () => {
    // Port 1 refuses at once; nothing listens there.
    const config = loadConfig({ env: { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1' } });
    const opening = createModelRegistry(config);
    await expect(opening).rejects.toBeInstanceOf(RegistryStorageError);
    await expect(opening).rejects.toThrow(/^connecting to Kafka at 127\.0\.0\.1:1 failed: .*ECONNREFUSED/);
    await expect(opening).rejects.toMatchObject({ retriable: true });
  });
});
