/**
 * The order appendAsSingleWriter keeps (fence before reading, commit before reading past) and its
 * failure paths, on a fake producer that records every call. The integration tests of the
 * pipeline store, the model registry and the deployment log run it on the real Kafka, with
 * concurrent writers; a failing abort cannot be caused there on purpose.
 */
import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Kafka, type ProducerConfig, type Transaction } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaErrorTypeBehind, TransactionAbortError } from '../../src/streaming/errors.js';
import { appendAsSingleWriter, FENCED_ERROR_TYPES, type SingleWriterAppend } from '../../src/streaming/single-writer-append.js';

interface Switches {
  readonly abortFails?: boolean;
  readonly commitFails?: boolean;
}

/** A Kafka whose one producer and transaction log their calls into `calls`. */
function fakeKafka(calls: string[], switches: Switches = {}) {
  const configs: ProducerConfig[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      configs.push(config);
      let active = false;
      const transaction = {
        isActive: () => active,
        commit: () => {
          calls.push('commit');
          if (switches.commitFails) return Promise.reject(new Error('commit refused'));
          active = false;
          return Promise.resolve();
        },
        abort: () => {
          calls.push('abort');
          if (switches.abortFails) return Promise.reject(new Error('coordinator gone'));
          active = false;
          return Promise.resolve();
        },
      };
      return {
        connect: () => Promise.resolve(void calls.push('connect')),
        transaction: () => {
          calls.push('transaction');
          active = true;
          return Promise.resolve(transaction as unknown as Transaction);
        },
        disconnect: () => Promise.resolve(void calls.push('disconnect')),
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, configs };
}

function write(calls: string[], kafka: Kafka, overrides: Partial<SingleWriterAppend<string, string>> = {}): SingleWriterAppend<string, string> {
  return {
    kafka,
    transactionalId: 'test.store.key',
    transactionTimeoutMs: 45_000,
    readTimeoutMs: 7_000,
    reader: {
      catchUp: (timeoutMs) => Promise.resolve(void calls.push(`catchUp ${timeoutMs}`)),
      readPast: (offset, timeoutMs) => Promise.resolve(void calls.push(`readPast ${offset} ${timeoutMs}`)),
    },
    decide: () => {
      calls.push('decide');
      return 'revision 3';
    },
    append: (_transaction, decision) => {
      calls.push(`append ${decision}`);
      return Promise.resolve({ written: `${decision} as sent`, offset: '41' });
    },
    classifyFailure: (error) => {
      calls.push('classify');
      return new Error(`classified: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    },
    ...overrides,
  };
}

describe('appendAsSingleWriter', () => {
  it('fences, catches up, decides, appends, commits, then reads past the record it appended', async () => {
    const calls: string[] = [];
    const { kafka, configs } = fakeKafka(calls);
    await expect(appendAsSingleWriter(write(calls, kafka))).resolves.toEqual({ written: 'revision 3 as sent', offset: '41' });
    expect(calls).toEqual(['connect', 'transaction', 'catchUp 7000', 'decide', 'append revision 3', 'commit', 'disconnect', 'readPast 41 7000']);
    expect(configs).toEqual([
      { transactionalId: 'test.store.key', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 45_000, retry: undefined, allowAutoTopicCreation: false },
    ]);
  });

  it('aborts and appends nothing when the decision is to write nothing', async () => {
    const calls: string[] = [];
    const { kafka } = fakeKafka(calls);
    await expect(appendAsSingleWriter(write(calls, kafka, { decide: () => void calls.push('decide') }))).resolves.toBeUndefined();
    expect(calls).toEqual(['connect', 'transaction', 'catchUp 7000', 'decide', 'abort', 'disconnect']);
  });

  it('aborts a transaction whose append failed and throws what the caller makes of the failure', async () => {
    const calls: string[] = [];
    const { kafka } = fakeKafka(calls);
    const append = () => Promise.reject(new Error('no offset'));
    await expect(appendAsSingleWriter(write(calls, kafka, { append }))).rejects.toThrow('classified: no offset');
    expect(calls).toEqual(['connect', 'transaction', 'catchUp 7000', 'decide', 'abort', 'classify', 'disconnect']);
  });

  it('does not read past a record whose commit failed', async () => {
    const calls: string[] = [];
    const { kafka } = fakeKafka(calls, { commitFails: true });
    await expect(appendAsSingleWriter(write(calls, kafka))).rejects.toThrow('classified: commit refused');
    expect(calls).toEqual(['connect', 'transaction', 'catchUp 7000', 'decide', 'append revision 3', 'commit', 'abort', 'classify', 'disconnect']);
  });

  it('hands the caller both failures when the abort fails too', async () => {
    const calls: string[] = [];
    const { kafka } = fakeKafka(calls, { abortFails: true });
    const sendFailure = new Error('broker gone');
    let classified: unknown;
    const failure = appendAsSingleWriter(
      write(calls, kafka, {
        append: () => Promise.reject(sendFailure),
        classifyFailure: (error) => (classified = error),
      }),
    );
    await expect(failure).rejects.toBeInstanceOf(TransactionAbortError);
    expect(classified).toMatchObject({ transactionalId: 'test.store.key', failure: sendFailure, message: 'broker gone; aborting the transaction failed too: coordinator gone' });
    expect((classified as TransactionAbortError).abortFailure).toEqual(new Error('coordinator gone'));
    expect(calls).toEqual(['connect', 'transaction', 'catchUp 7000', 'decide', 'abort', 'disconnect']);
  });
});

describe('kafkaErrorTypeBehind', () => {
  const fenced = new KafkaJSProtocolError({ message: 'fenced', type: 'PRODUCER_FENCED', code: 90, retriable: false } as unknown as Error);

  it('finds a fencing behind a failed abort and behind the errors kafkajs wraps it in', () => {
    expect(kafkaErrorTypeBehind(fenced, FENCED_ERROR_TYPES)).toBe('PRODUCER_FENCED');
    // A writer fenced mid-transaction has its abort refused too: the model registry's concurrent registrations once failed this way, as a storage error instead of a conflict.
    expect(kafkaErrorTypeBehind(new TransactionAbortError('test.store.key', fenced, new Error('abort refused')), FENCED_ERROR_TYPES)).toBe('PRODUCER_FENCED');
    expect(kafkaErrorTypeBehind(new TransactionAbortError('test.store.key', Object.assign(new KafkaJSNonRetriableError(fenced), { cause: fenced }), fenced), FENCED_ERROR_TYPES)).toBe('PRODUCER_FENCED');
  });

  it('finds nothing behind other failures', () => {
    const concurrent = new KafkaJSProtocolError({ message: 'busy', type: 'CONCURRENT_TRANSACTIONS', code: 51, retriable: true } as unknown as Error);
    expect(kafkaErrorTypeBehind(new TransactionAbortError('test.store.key', concurrent, new Error('abort refused')), FENCED_ERROR_TYPES)).toBeUndefined();
    expect(kafkaErrorTypeBehind(new Error('broker gone'), FENCED_ERROR_TYPES)).toBeUndefined();
    expect(kafkaErrorTypeBehind(undefined, FENCED_ERROR_TYPES)).toBeUndefined();
  });
});
