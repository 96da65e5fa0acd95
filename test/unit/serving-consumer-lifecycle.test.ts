/**
 * The consumer lifecycle alone: a fake Kafka whose consumers the test crashes and joins, a fake
 * handoff and a fake back-off that records its waits.
 */
import type { ConsumerConfig, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConsumerLifecycle } from '../../src/serving/consumer-lifecycle.js';
import { NOTHING_TO_SKIP } from '../../src/serving/features-handoff.js';
import type { ModelDeployment } from '../../src/serving/model-deployment.js';
import { retryDelay, type Backoff } from '../../src/serving/retry-backoff.js';
import type { DeliveryMode } from '../../src/serving/scorer-output.js';
import type { KafkaAccessAttempt } from '../../src/streaming/errors.js';
import type { CoordinatorKey } from '../../src/streaming/kafka-refusal.js';
import { deploymentOf } from '../helpers/scoring-models.js';
import { waitFor } from '../helpers/wait-for.js';

const GROUP = 'tributary.scorer.fraud';
const TOPIC = 'tributary.features';

/** Just what the lifecycle uses of a kafkajs consumer; crash() and join() play the broker's part. */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', END_BATCH_PROCESS: 'consumer.end_batch_process' } as const;
  readonly subscribed: string[] = [];
  readonly committed: { topic: string; partition: number; offset: string }[][] = [];
  running = false;
  disconnected = false;
  private readonly listeners = new Map<string, (event: { payload: unknown }) => void>();

  constructor(
    readonly config: ConsumerConfig,
    private readonly failConnect: boolean,
  ) {}

  on(event: string, listener: (event: { payload: unknown }) => void): () => void {
    this.listeners.set(event, listener);
    return () => this.listeners.delete(event);
  }
  connect(): Promise<void> {
    return this.failConnect ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9092')) : Promise.resolve();
  }
  subscribe({ topics }: { topics: string[] }): Promise<void> {
    this.subscribed.push(...topics);
    return Promise.resolve();
  }
  run(): Promise<void> {
    this.running = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    this.committed.push(offsets);
    return Promise.resolve();
  }
  /** kafkajs's event after a fetched batch of `batchSize` records to hand out (0: only transaction markers or aborted records) ending at `lastOffset`. */
  endBatch(partition: number, batchSize: number, lastOffset: string): void {
    this.listeners.get(this.events.END_BATCH_PROCESS)?.({ payload: { topic: TOPIC, partition, batchSize, lastOffset } });
  }
  crash(error: Error, restart: boolean): void {
    this.running = false;
    this.listeners.get(this.events.CRASH)?.({ payload: { error, restart, groupId: GROUP } });
  }
  join(partitions: number[]): void {
    this.listeners.get(this.events.GROUP_JOIN)?.({ payload: { memberId: `member-${this.subscribed.join()}`, memberAssignment: { [TOPIC]: partitions }, groupId: GROUP } });
  }
}

interface Harness {
  readonly lifecycle: ConsumerLifecycle;
  readonly consumers: FakeConsumer[];
  readonly log: string[];
  readonly waits: number[];
  readonly drained: string[];
  readonly refusalChecks: { attempt: KafkaAccessAttempt; coordinator: CoordinatorKey | undefined }[];
}

/** `refused`: whether the worker finds a crash to be the broker's refusal; `failConnects`: how many consumers fail to connect first. */
function harness(options: { deployment?: ModelDeployment; refused?: boolean; failConnects?: number; delivery?: DeliveryMode } = {}): Harness {
  const consumers: FakeConsumer[] = [];
  const log: string[] = [];
  const waits: number[] = [];
  const drained: string[] = [];
  const refusalChecks: Harness['refusalChecks'] = [];
  let failConnects = options.failConnects ?? 0;
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      const consumer = new FakeConsumer(config, failConnects > 0);
      failConnects -= 1;
      consumers.push(consumer);
      return consumer;
    },
    // The at-least-once output makes its producer up front; these tests write nothing through it.
    producer: () => ({ connect: () => Promise.resolve(), disconnect: () => Promise.resolve() }),
  } as unknown as Kafka;
  const backoff: Backoff = {
    delay: (attempt) => retryDelay(attempt, 10_000),
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    stopped: false,
  };
  const lifecycle = new ConsumerLifecycle({
    config: loadConfig({ env: {} }),
    kafka,
    schemaRegistry: {
      latestSchema: () => Promise.reject(new Error('no output is written in these tests')),
      register: () => Promise.reject(new Error('no output is written in these tests')),
      setCompatibilityLevel: () => Promise.reject(new Error('no output is written in these tests')),
    },
    groupId: GROUP,
    outputTopics: { scores: 'tributary.scores', dlq: 'tributary.dlq' },
    delivery: options.delivery ?? 'exactly-once',
    batchSize: 100,
    partitionsConsumedConcurrently: 3,
    log: (line) => log.push(line),
    backoff,
    handoff: {
      drain: (topic) => {
        drained.push(topic);
        return Promise.resolve();
      },
      skipSetFor: () => Promise.resolve(NOTHING_TO_SKIP),
    },
    processBatch: () => Promise.resolve(),
    stopIfRefused: (_error, attempt, coordinator) => {
      refusalChecks.push({ attempt, coordinator });
      return Promise.resolve(options.refused ?? false);
    },
    currentDeployment: () => options.deployment ?? deploymentOf({ revision: 1, champion: null }),
  });
  return { lifecycle, consumers, log, waits, drained, refusalChecks };
}

/** Lets the crash handler, which the consumer does not await, run as far as it can. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ConsumerLifecycle', () => {
  it('low-latency: reads read_uncommitted, and commits past a fetched batch of transaction markers alone, which kafkajs hands to no chunk', async () => {
    const { lifecycle, consumers } = harness({ delivery: 'low-latency' });
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    const consumer = consumers[0]!;
    expect(consumer.config).toMatchObject({ groupId: GROUP, readUncommitted: true });
    consumer.endBatch(1, 3, '40');
    consumer.endBatch(1, 0, '41');
    await waitFor('the commit past the marker', () => (consumer.committed.length > 0 ? true : undefined));
    expect(consumer.committed).toEqual([[{ topic: TOPIC, partition: 1, offset: '42' }]]);
  });

  it('exactly-once leaves a batch of markers alone to the next chunk\'s transaction', async () => {
    const { lifecycle, consumers } = harness();
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    consumers[0]!.endBatch(1, 0, '41');
    await settle();
    expect(consumers[0]!.committed).toEqual([]);
  });


  it('consumes the deployment\'s features topic in the group, read_committed from the beginning, once', async () => {
    const { lifecycle, consumers, log } = harness();
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    await lifecycle.follow(deploymentOf({ revision: 2, champion: null }));
    expect(consumers).toHaveLength(1);
    expect(consumers[0]!.config).toMatchObject({ groupId: GROUP, readUncommitted: false, allowAutoTopicCreation: false });
    expect(consumers[0]!.subscribed).toEqual([TOPIC]);
    expect(lifecycle.topic).toBe(TOPIC);
    expect(lifecycle.joined).toBe(false);
    consumers[0]!.join([0, 2]);
    expect(lifecycle.joined).toBe(true);
    expect(log).toEqual([`consuming ${TOPIC} in group ${GROUP} (exactly-once, chunks of up to 100)`, `joined group ${GROUP} as member-${TOPIC}; assigned ${TOPIC} [0, 2]`]);
  });

  it('restarts a consumer kafkajs gave up on after 200, 400, 800 ms while crashes repeat, and after 200 ms again once it had joined', async () => {
    const { lifecycle, consumers, log, waits, refusalChecks } = harness();
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    for (let crashes = 1; crashes <= 3; crashes += 1) {
      consumers.at(-1)!.crash(new Error('the coordinator is not available'), false);
      await waitFor(`restart ${crashes}`, () => (consumers.length === crashes + 1 && consumers.at(-1)!.running ? true : undefined));
    }
    expect(waits).toEqual([200, 400, 800]);
    expect(consumers.slice(0, 3).every((consumer) => consumer.disconnected)).toBe(true);
    expect(log.filter((line) => line.startsWith('restarting'))).toEqual([200, 400, 800].map((ms) => `restarting the consumer of ${TOPIC} in ${ms} ms`));
    expect(log).toContain(`consumer of ${TOPIC} crashed: the coordinator is not available`);
    expect(refusalChecks[0]).toEqual({ attempt: { operation: 'read', topics: [TOPIC], group: GROUP }, coordinator: { group: GROUP } });

    consumers.at(-1)!.join([0]);
    consumers.at(-1)!.crash(new Error('the coordinator is not available'), false);
    expect(lifecycle.joined).toBe(false);
    await waitFor('the restart after a join', () => (consumers.length === 5 && consumers.at(-1)!.running ? true : undefined));
    expect(waits).toEqual([200, 400, 800, 200]);
  });

  it('leaves the restart to kafkajs when kafkajs restarts the consumer itself', async () => {
    const { lifecycle, consumers, log, waits, refusalChecks } = harness();
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    consumers[0]!.crash(new Error('the connection was reset'), true);
    await waitFor('the refusal check', () => (refusalChecks.length === 1 ? true : undefined));
    await settle();
    expect(consumers).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(log.at(-1)).toBe(`consumer of ${TOPIC} crashed: the connection was reset; kafkajs restarts it`);
  });

  it('does not restart a consumer the broker refused: the worker stops instead', async () => {
    const { lifecycle, consumers, waits, refusalChecks } = harness({ refused: true });
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    consumers[0]!.crash(new Error('Not authorized to access group'), false);
    await waitFor('the refusal check', () => (refusalChecks.length === 1 ? true : undefined));
    await settle();
    expect(consumers).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('tries again after 200 then 400 ms when the consumer cannot connect, closing each that failed', async () => {
    const { lifecycle, consumers, log, waits } = harness({ failConnects: 2 });
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    expect(waits).toEqual([200, 400]);
    expect(consumers.map((consumer) => [consumer.disconnected, consumer.running])).toEqual([[true, false], [true, false], [false, true]]);
    expect(log.slice(0, 2)).toEqual([1, 2].map((attempt) => `cannot consume ${TOPIC} yet (attempt ${attempt}): connect ECONNREFUSED 127.0.0.1:9092; trying again in ${retryDelay(attempt, 10_000)} ms`));
  });

  it('drains the previous topic before moving to the one a handoff names, then leaves it', async () => {
    const { lifecycle, consumers, log, drained } = harness();
    await lifecycle.follow({ ...deploymentOf({ revision: 1, champion: null }), featuresTopic: 'tributary.features.v1' });
    const moved: ModelDeployment = { ...deploymentOf({ revision: 2, champion: null }), featuresTopic: 'tributary.features.v2', featuresHandoff: { previousTopic: 'tributary.features.v1', overlapFrom: [] } };
    await lifecycle.follow(moved);
    expect(drained).toEqual(['tributary.features.v1']);
    expect(consumers.map((consumer) => [consumer.subscribed, consumer.disconnected])).toEqual([[['tributary.features.v1'], true], [['tributary.features.v2'], false]]);
    expect(log).toContain('features topic moved from tributary.features.v1 to tributary.features.v2: finishing the batch in progress and leaving tributary.features.v1');
    expect(lifecycle.topic).toBe('tributary.features.v2');
  });

  it('stops: the consumer stops and disconnects, and nothing is consumed any more', async () => {
    const { lifecycle, consumers } = harness();
    await lifecycle.follow(deploymentOf({ revision: 1, champion: null }));
    await lifecycle.stop();
    expect([consumers[0]!.running, consumers[0]!.disconnected]).toEqual([false, true]);
    expect(lifecycle.topic).toBeUndefined();
    expect(lifecycle.joined).toBe(false);
  });
});
