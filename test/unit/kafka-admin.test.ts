import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { TributaryError } from '../../src/errors/tributary-error.js';
import { openCaughtUp } from '../../src/streaming/caught-up-open.js';
import { connectKafkaAdmin, type KafkaAdminConnectFailure } from '../../src/streaming/kafka-admin.js';

describe('connectKafkaAdmin', () => {
  it('hands a refused connection to the caller as its own error, named and retriable', async () => {
    // Port 1 refuses at once; nothing listens there.
    const config = loadConfig({ env: { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1' } });
    let failure: KafkaAdminConnectFailure | undefined;
    const connecting = connectKafkaAdmin(config, 'test', (reported) => {
      failure = reported;
      return new TributaryError(`${reported.action} failed: ${reported.reason}`, reported);
    }, { retries: 0 });
    await expect(connecting).rejects.toThrow(/^connecting to Kafka at 127\.0\.0\.1:1 failed: .*ECONNREFUSED/);
    expect(failure?.action).toBe('connecting to Kafka at 127.0.0.1:1');
    expect(failure?.retriable).toBe(true);
    expect(failure?.cause).toBeInstanceOf(Error);
  });
});

describe('openCaughtUp', () => {
  it('hands out the store once it caught up', async () => {
    let closed = 0;
    const store = { close: () => Promise.resolve(void (closed += 1)) };
    await expect(openCaughtUp(store, () => Promise.resolve())).resolves.toBe(store);
    expect(closed).toBe(0);
  });

  it('closes the store and rethrows when catching up fails', async () => {
    let closed = 0;
    const store = { close: () => Promise.resolve(void (closed += 1)) };
    const failure = new Error('read timed out');
    await expect(openCaughtUp(store, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(closed).toBe(1);
  });
});
