import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOUNDED_IDEMPOTENT_RETRIES_WARNING, tributaryKafkaLogCreator } from '../../src/streaming/kafka-log.js';

afterEach(() => vi.restoreAllMocks());

describe('the kafkajs log of Tributary\'s clients', () => {
  const log = tributaryKafkaLogCreator(logLevel.INFO);
  const entry = (level: logLevel, label: string, message: string, extra: Record<string, unknown> = {}) => ({
    namespace: 'Producer',
    level,
    label,
    log: { timestamp: '2026-11-25T14:00:00.000Z', logger: 'kafkajs', message, ...extra },
  });

  it('leaves out the warning about bounded retries of idempotent producers, which Tributary chose', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    log(entry(logLevel.WARN, 'WARN', BOUNDED_IDEMPOTENT_RETRIES_WARNING));
    expect(warn).not.toHaveBeenCalled();
  });

  it('prints every other entry as kafkajs\'s console logger does, on the stream of its level', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    log(entry(logLevel.WARN, 'WARN', 'Connection timeout', { broker: '127.0.0.1:9092' }));
    log(entry(logLevel.ERROR, 'ERROR', 'Crash: KafkaJSNumberOfRetriesExceeded'));
    expect(warn).toHaveBeenCalledWith('{"level":"WARN","timestamp":"2026-11-25T14:00:00.000Z","logger":"kafkajs","message":"[Producer] Connection timeout","broker":"127.0.0.1:9092"}');
    expect(error).toHaveBeenCalledWith('{"level":"ERROR","timestamp":"2026-11-25T14:00:00.000Z","logger":"kafkajs","message":"[Producer] Crash: KafkaJSNumberOfRetriesExceeded"}');
  });
});
