/**
 * What one poll of a rollout's live metrics costs once a step has run for a while, on the local
 * real Kafka and Schema Registry. A step's scores and labels (BACKLOG of each, Avro through the
 * registered schemas) are written after its snapshot; then, each round, POLL_GROWTH more arrive
 * and two reads of the same period are timed:
 * - the poll of a reader that has followed the step (what a worker's `collectLiveMetrics` does
 *   from its second poll on): it reads only the new records;
 * - the baseline, a fresh reader's full read of the whole period (what every poll did before,
 *   and what a restarted worker's first poll still does).
 * Both must give the same figures; the bench fails otherwise. Prints one JSON document.
 *
 *   npx tsx bench/rollout-metrics.bench.ts      # BACKLOG=50000 POLL_GROWTH=1000 ROUNDS=5
 */
import { logLevel } from 'kafkajs';
import { isDeepStrictEqual } from 'node:util';
import type { TributaryConfig } from '../src/config/config.js';
import { loadConfig } from '../src/config/config.js';
import type { LiveMetricsScope } from '../src/rollout/live-metrics.js';
import { createLiveMetricsReader, type LiveMetricsReader, type LiveOffsets } from '../src/rollout/live-metrics-reader.js';
import type { LiveMetricsSource } from '../src/rollout/live-metrics-source.js';
import { createAvroDecoder } from '../src/streaming/avro-decoder.js';
import { createAvroProducer } from '../src/streaming/avro-producer.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { createOffsetRangeReader } from '../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../src/streaming/schema-registry-client.js';
import { topicName } from '../src/streaming/topic-catalogue.js';
import { prepareScoringTopics } from '../test/helpers/scoring.js';
import { fraudRunTopics, fraudTopic } from '../test/helpers/fraud-topics.js';

const BACKLOG = Number(process.env.BACKLOG ?? 50_000);
const POLL_GROWTH = Number(process.env.POLL_GROWTH ?? 1_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SEND_BATCH = 2_000;
const MODEL = 'fraud';
const SCOPE: LiveMetricsScope = { model: MODEL, championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 };

const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench-rollout-metrics-${Date.now().toString(36)}.` } };
const kafka = createKafka(config, { clientIdSuffix: 'rollout-metrics-bench', logLevel: logLevel.NOTHING });
const registry = createSchemaRegistryClient(config.schemaRegistry);
const admin = kafka.admin();
await admin.connect();
await prepareScoringTopics(config, admin);
const producer = createAvroProducer({ kafka, registry, config });
await producer.connect();

const newReader = (): LiveMetricsReader =>
  createLiveMetricsReader({
    reader: createOffsetRangeReader(kafka, { groupIdPrefix: `${config.topics.prefix}bench` }),
    decoder: createAvroDecoder(registry),
  });
/** The catalogue's topics and the fraud example's label fields (examples/fraud/pipeline.yaml). */
const SOURCE: LiveMetricsSource = {
  task: 'binary-classification',
  topics: { scores: topicName(config, 'scores'), labels: fraudTopic(config, 'labels'), dlq: topicName(config, 'dlq') },
  labelKey: 'transaction_id',
  labelField: 'is_fraud',
  pipelineRevision: 1,
};

let written = 0;
/** `count` more transactions: a score each (champion and challenger alternating) and its label. */
async function writeTraffic(count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += SEND_BATCH) {
    const ids = Array.from({ length: Math.min(SEND_BATCH, count - sent) }, (_, index) => written + sent + index);
    const now = Date.now();
    await producer.send(
      'scores',
      ids.map((n) => ({
        key: `t-${n}`,
        value: {
          pipeline: MODEL,
          event_id: `t-${n}`,
          entity_key: `entity-${n % 997}`,
          prediction: (n % 100) / 100,
          threshold: 0.5,
          decision: n % 100 >= 50 ? 'POSITIVE' : 'NEGATIVE',
          model: MODEL,
          model_version: n % 2 === 0 ? 1 : 2,
          model_runtime: 'tfjs',
          variant: n % 2 === 0 ? 'CHAMPION' : 'CHALLENGER',
          shadow: null,
          deployment_revision: 1,
          feature_job_version: 'bench',
          event_time: now,
          features_at: now,
          scored_at: now,
          scoring_ms: 1 + (n % 7),
          end_to_end_ms: 10,
        },
      })),
    );
    await producer.send('labels', ids.map((n) => ({ key: `t-${n}`, value: { transaction_id: `t-${n}`, is_fraud: n % 13 === 0, label_time: now, source: n % 13 === 0 ? 'CHARGEBACK' : 'CONFIRMED_LEGITIMATE' } })));
  }
  written += count;
}

const timed = async <T>(read: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const began = performance.now();
  const value = await read();
  return { ms: performance.now() - began, value };
};
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

const rounds: { periodRecords: number; pollMs: number; fullReadMs: number }[] = [];
try {
  const following = newReader();
  const since: LiveOffsets = await following.snapshot(SOURCE);
  const request = { scope: SCOPE, since, featuresTopic: fraudTopic(config, 'features'), source: SOURCE };
  process.stderr.write(`rollout-metrics: writing ${BACKLOG} scores and labels\n`);
  await writeTraffic(BACKLOG);
  // The reader follows the step from here, as a worker's first poll does.
  await following.read(request);
  for (let round = 1; round <= ROUNDS; round += 1) {
    await writeTraffic(POLL_GROWTH);
    const poll = await timed(() => following.read(request));
    const full = await timed(() => newReader().read(request));
    if (!isDeepStrictEqual(poll.value, full.value)) throw new Error(`round ${round}: the poll and the full read disagree`);
    if (poll.value.scoresRead !== written) throw new Error(`round ${round}: ${poll.value.scoresRead} scores read, ${written} written`);
    rounds.push({ periodRecords: written * 2, pollMs: Math.round(poll.ms), fullReadMs: Math.round(full.ms) });
    process.stderr.write(`rollout-metrics: round ${round}: poll ${Math.round(poll.ms)} ms, full read ${Math.round(full.ms)} ms of ${written * 2} records\n`);
  }
} finally {
  await producer.disconnect();
  await admin.deleteTopics({ topics: fraudRunTopics(config) }).catch(() => undefined);
  await admin.disconnect();
}

const pollMs = median(rounds.map((round) => round.pollMs));
const fullReadMs = median(rounds.map((round) => round.fullReadMs));
console.log(
  JSON.stringify(
    {
      benchmark: 'rollout-metrics',
      measured: 'ms of one live-metrics read of a rollout step: the poll of a reader following the step vs a fresh full read of the same period (same figures checked)',
      backlog: BACKLOG,
      pollGrowth: POLL_GROWTH,
      medianPollMs: pollMs,
      medianFullReadMs: fullReadMs,
      pollOverFullRead: pollMs / fullReadMs,
      rounds,
    },
    null,
    2,
  ),
);
