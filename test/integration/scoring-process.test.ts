/**
 * `tributary serve` as a real process on the real stack, as an operator runs it:
 * - /readyz answers 503 while the model has no champion and 200 once it is loaded and the worker
 *   joined its group; /metrics exposes the scorer's series;
 * - SIGTERM mid-stream: it finishes the chunk, commits, leaves the group and exits 0, and a restart
 *   scores the rest without a duplicate;
 * - kill -9 mid-stream and a restart: no score lost, none duplicated (read_committed).
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import type { AvroProducer } from '../../src/streaming/avro-producer.js';
import {
  featureRecords,
  openScoringStack,
  readScores,
  registerModelVersions,
  scoreAccounting,
  scoringRunConfig,
  waitForGroupCaughtUp,
  type ScoringStack,
} from '../helpers/scoring.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-process');
const MODEL = 'fraud';
const groupId = defaultScorerGroupId(config, MODEL);
const featuresTopic = fraudTopic(config, 'features');

async function probe(serve: ServeProcess, path: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${serve.port}${path}`);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** Produces feature records every 50 ms until stopped; remembers every transaction id sent. */
function steadyProducer(producer: AvroProducer, runId: string, inputIds: string[]): { stop(): Promise<void> } {
  let producing = true;
  const loop = (async () => {
    for (let sent = 0; producing; sent += 20) {
      const records = featureRecords(runId, sent, 20);
      await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
      inputIds.push(...records.map((record) => record.transaction_id));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      producing = false;
      await loop;
    },
  };
}

async function committedSum(admin: Admin): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [featuresTopic] });
  return (committed?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
}

describe('tributary serve as a process (real Kafka, registry, schema registry)', () => {
  let stack: ScoringStack;
  const processes: ServeProcess[] = [];
  const inputIds: string[] = [];

  beforeAll(async () => {
    stack = await openScoringStack(config, 'scoring-process-test');
  });

  afterAll(async () => {
    for (const serve of processes) serve.child.kill('SIGKILL');
    // Undefined when opening it failed, which already released what it had opened.
    await (stack as ScoringStack | undefined)?.close();
  });

  const serve = async (): Promise<ServeProcess> => {
    const started = await startServeProcess(config, MODEL);
    processes.push(started);
    onTestFailed(() => console.error(`serve process output:\n${started.output.join('')}`));
    return started;
  };

  it('/readyz flips to ready once the champion loads; /metrics exposes the scorer series', async () => {
    const first = await serve();
    const waiting = await waitFor('/healthz to answer', async () => ((await probe(first, '/healthz'))?.status === 200 ? probe(first, '/readyz') : undefined), 60_000);
    expect(waiting?.status).toBe(503);
    expect(waiting?.body).toMatch(/waiting for a deployment of fraud with a champion/);

    const [v1] = await registerModelVersions(stack.registry, MODEL, 1);
    await stack.deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
    const ready = await waitFor('/readyz to report ready', async () => {
      const answer = await probe(first, '/readyz');
      return answer?.status === 200 ? answer : undefined;
    });
    expect(ready.body).toMatch(/^scoring .*features with champion v1 \(deployment revision 1\)/);

    const metrics = (await probe(first, '/metrics'))?.body ?? '';
    for (const series of [
      'tributary_scorer_records_total',
      'tributary_scorer_batch_duration_seconds',
      'tributary_scorer_end_to_end_latency_seconds',
      'tributary_scorer_decisions_total',
      'tributary_scorer_consumer_lag',
      'tributary_scorer_dead_letters_total',
      'tributary_scorer_model_swaps_total',
      'tributary_scorer_model_swap_duration_seconds',
      'tributary_scorer_model_swap_failures_total',
    ]) {
      expect(metrics).toContain(`# TYPE ${series} `);
    }
    expect(metrics).toMatch(/tributary_scorer_model_info\{[^}]*model="fraud"[^}]*role="champion"[^}]*version="1"[^}]*revision="1"[^}]*\} 1/);
    expect(metrics).toMatch(/tributary_scorer_model_swaps_total\{[^}]*outcome="swapped"[^}]*\} 1/);
  });

  it('SIGTERM mid-stream: finishes, commits, exits 0; a restart scores the rest without duplicates', async () => {
    const running = processes[0]!;
    const stream = steadyProducer(stack.producer, 'sigterm', inputIds);
    try {
      await waitFor('the worker to commit some scores', async () => ((await committedSum(stack.admin)) >= 100 ? true : undefined), 60_000);
      running.child.kill('SIGTERM');
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(running.output.join('')).toMatch(/SIGTERM: finishing the batch in progress/);
      await serve();
    } finally {
      await stream.stop();
    }
    await waitForGroupCaughtUp(stack.admin, groupId, featuresTopic);
    expect(scoreAccounting(await readScores(stack.kafka, config), inputIds)).toEqual({ duplicates: [], missing: [], unexpected: [] });
  });

  it('kill -9 mid-stream and a restart: no score lost, none duplicated', async () => {
    const running = processes[processes.length - 1]!;
    const before = await committedSum(stack.admin);
    const stream = steadyProducer(stack.producer, 'sigkill', inputIds);
    try {
      await waitFor('the worker to commit more scores', async () => ((await committedSum(stack.admin)) >= before + 100 ? true : undefined), 60_000);
      running.child.kill('SIGKILL');
      expect((await running.exited).signal).toBe('SIGKILL');
      await serve();
    } finally {
      await stream.stop();
    }
    await waitForGroupCaughtUp(stack.admin, groupId, featuresTopic, 150_000);
    expect(scoreAccounting(await readScores(stack.kafka, config), inputIds)).toEqual({ duplicates: [], missing: [], unexpected: [] });
  });
});
