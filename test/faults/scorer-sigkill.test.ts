/**
 * Fault: `tributary serve` killed with SIGKILL while a scoring transaction is open, then started
 * again. The new process's transactional producer fences the dead one's transaction (aborted, never
 * visible to read_committed readers) and scores from the last committed offset: every committed
 * feature record has exactly one committed score. The kill lands inside a transaction: the scorer
 * is frozen (SIGSTOP) until a read_uncommitted reader sees scores a read_committed reader does not,
 * then killed; the audit checks that those scores were aborted. Measured: restart → the new process's first committed chunk.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { registerModelVersions, scoringRunConfig, waitForGroupCaughtUp } from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { auditScores, committedRecords, steadyFeatureProducer } from './scoring-audit.js';
import { reportFault } from './stack-faults.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('fault-sigkill');
const MODEL = 'fraud';
const groupId = defaultScorerGroupId(config, MODEL);
const featuresTopic = fraudTopic(config, 'features');

/** How long, with the scorer frozen, the two readers of scores take to see everything it wrote. */
const SETTLE_MS = 1_500;
const MAX_PROBES = 40;

/**
 * Freezes the scorer (SIGSTOP) the moment a read_uncommitted reader sees new scores, lets both readers
 * settle, and keeps it frozen when a read_committed reader sees fewer — scores written in a
 * transaction not yet committed. Otherwise lets it run (SIGCONT) and tries again. Returns the probes taken.
 */
async function freezeInsideTransaction(child: ChildProcess, uncommitted: CollectingConsumer, committed: CollectingConsumer): Promise<number> {
  for (let probe = 1; probe <= MAX_PROBES; probe += 1) {
    const seen = uncommitted.received.length;
    await waitFor('the scorer to write more scores', () => (uncommitted.received.length > seen ? true : undefined), 30_000, 1);
    child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (uncommitted.received.length > committed.received.length) return probe;
    child.kill('SIGCONT');
  }
  throw new Error(`no open scoring transaction caught in ${MAX_PROBES} probes`);
}

describe('fault: the scorer killed with SIGKILL mid-transaction', () => {
  const clients = useScoringClients(config, 'fault-sigkill');
  let producer: AvroProducer;
  const processes: ServeProcess[] = [];
  const readers: CollectingConsumer[] = [];

  beforeAll(async () => {
    const { kafka, registry, deployments } = clients;
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'fault-test', reason: 'champion for the SIGKILL fault' });
    producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
  });

  afterAll(async () => {
    for (const serve of processes) serve.child.kill('SIGKILL');
    await Promise.all(readers.map((reader) => reader.consumer.disconnect()));
    await producer?.disconnect();
  });

  const serve = async (): Promise<ServeProcess> => {
    const started = await startServeProcess(config, MODEL);
    processes.push(started);
    onTestFailed(() => console.error(`serve process (pid ${started.child.pid}) output:\n${started.output.join('')}`));
    return started;
  };

  it('fences the killed transaction and scores every feature record exactly once after the restart', async () => {
    const { kafka, admin } = clients;
    const scoresTopic = topicName(config, 'scores');
    const uncommitted = await collectingConsumer(kafka, scoresTopic, { readUncommitted: true, groupId: `${config.topics.prefix}audit-uncommitted` });
    const committed = await collectingConsumer(kafka, scoresTopic, { groupId: `${config.topics.prefix}audit-committed` });
    readers.push(uncommitted, committed);
    const logs: string[] = [];
    onTestFailed(() => console.error(`producer log:\n${logs.join('\n')}`));

    const first = await serve();
    const stream = steadyFeatureProducer(() => producer, 'sigkill', (line) => logs.push(line));
    let probes = 0;
    let killedAt = 0;
    let restartedAt = 0;
    let recoveredAt = 0;
    try {
      await waitFor('the first process to commit 300 scores', async () => ((await committedRecords(admin, groupId, featuresTopic)) >= 300 ? true : undefined), 90_000, 250);
      probes = await freezeInsideTransaction(first.child, uncommitted, committed);
      first.child.kill('SIGKILL');
      killedAt = Date.now();
      expect((await first.exited).signal).toBe('SIGKILL');
      const committedAtKill = await committedRecords(admin, groupId, featuresTopic);
      await serve();
      restartedAt = Date.now();
      recoveredAt = await waitFor('the restarted process to commit scores', async () => ((await committedRecords(admin, groupId, featuresTopic)) > committedAtKill ? Date.now() : undefined), 120_000, 100);
      const acknowledgedAtRecovery = stream.acknowledged.length;
      await waitFor('the producer to write 200 more records', () => (stream.acknowledged.length >= acknowledgedAtRecovery + 200 ? true : undefined), 60_000, 100);
    } finally {
      await stream.stop();
    }
    await waitForGroupCaughtUp(admin, groupId, featuresTopic, 150_000);
    const audit = await auditScores(kafka, config, stream.acknowledged);
    await waitFor('the audit readers to reach the committed scores', () => (committed.received.length >= audit.scores ? true : undefined), 60_000, 250);
    // Scores of the killed transaction were written, then aborted by the restarted process's fencing.
    const abortedScores = uncommitted.received.length - committed.received.length;
    reportFault({
      name: 'scorer (tributary serve) killed with SIGKILL mid-transaction and restarted',
      outcome: audit.missing.length + audit.duplicated.length + audit.unexpected.length + audit.lostInputs.length === 0 ? 'exactly once' : 'violated',
      abortedScores,
      freezeProbes: probes,
      restartMs: restartedAt - killedAt,
      recoveryMs: recoveredAt - restartedAt,
      inputs: audit.inputs,
      scores: audit.scores,
      missing: audit.missing.length,
      duplicated: audit.duplicated.length,
      unexpected: audit.unexpected.length,
    });
    expect(audit).toMatchObject({ missing: [], duplicated: [], unexpected: [], lostInputs: [] });
    expect(audit.scores).toBe(audit.inputs);
    expect(abortedScores).toBeGreaterThan(0);
  }, 420_000);
});
