/**
 * Hot swap under load on the real stack: a steady producer of features while the champion moves
 * v1 → v2 → v1 → … several times, and once to an artifact that fails to load (wrong sha256), which
 * must never serve. Each swap waits until the previous revision has scored records. Afterwards,
 * read_committed: every input has exactly one score; each score names the version its deployment
 * revision served; every revision that loaded scored records; no chunk scored with an older
 * revision after a newer one was swapped in. How long scoring pauses during swaps is measured by
 * `npm run bench -- scoring` (p99 latency while the champion swaps every second), not limited here.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import {
  featureRecords,
  metricValue,
  readScores,
  registerModelVersions,
  scoreAccounting,
  scoringRunConfig,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-swap');
const MODEL = 'fraud';
const PRODUCE_EVERY_MS = 50;
const RECORDS_PER_SEND = 15;
const SWAPS = 6;
/** After this swap, a deployment whose champion cannot load: it must never serve. */
const BAD_SWAP_AFTER = 3;
const BATCH_SIZE = 100;
/**
 * Records that may still be scored under the previous revision once a swap is applied: the chunks
 * in progress then, at most one of BATCH_SIZE per partition consumed at once (the worker's default 3).
 * Once more than this many are scored after a swap, the new revision has scored some.
 */
const IN_FLIGHT_AT_A_SWAP = 3 * BATCH_SIZE;

describe('scoring worker hot swap under load (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-swap');
  let scorer: InProcessScorer | undefined;

  afterAll(async () => {
    await scorer?.stop();
  });

  it('scores every input exactly once with the version deployed when its chunk ran, across several swaps', async () => {
    const { kafka, admin, registry, deployments } = clients;
    const [v1, v2] = await registerModelVersions(registry, MODEL, 2);
    const versionOfRevision = new Map<number, number>();
    let refusedRevision = 0;
    const first = await deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
    versionOfRevision.set(first.revision, v1!.version);
    scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: BATCH_SIZE });
    const { logs, metrics } = scorer;
    onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));

    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const inputIds: string[] = [];
    let producing = true;
    const steadyProducer = (async () => {
      for (let sent = 0; producing; sent += RECORDS_PER_SEND) {
        const records = featureRecords('swap', sent, RECORDS_PER_SEND);
        await producer.send('features', records.map((value) => ({ key: value.card_hash, value })));
        inputIds.push(...records.map((record) => record.transaction_id));
        await new Promise((resolve) => setTimeout(resolve, PRODUCE_EVERY_MS));
      }
    })();
    const scored = (): Promise<number> => metricValue(metrics, 'tributary_scorer_records_total', { outcome: 'scored' });
    /** Waits until the scorer has swapped in `swaps` revisions and then scored records under the last one. */
    const waitForScoringAfterSwap = async (swaps: number): Promise<void> => {
      await waitFor(`swap ${swaps} to be applied`, async () => ((await metricValue(metrics, 'tributary_scorer_model_swaps_total', { outcome: 'swapped' })) >= swaps ? true : undefined), 60_000, 50);
      const atSwap = await scored();
      await waitFor(`records scored after swap ${swaps}`, async () => ((await scored()) > atSwap + IN_FLIGHT_AT_A_SWAP ? true : undefined), 60_000, 50);
    };
    try {
      await waitForScoringAfterSwap(1);
      for (let swap = 1; swap <= SWAPS; swap += 1) {
        const champion = swap % 2 === 1 ? v2! : v1!;
        const published = await deployments.publish(MODEL, { champion, updatedBy: 'scoring-test', reason: `swap ${swap}` });
        versionOfRevision.set(published.revision, champion.version);
        if (swap === BAD_SWAP_AFTER) {
          // Bytes the registry recorded under another sha256: refused at load; the worker keeps serving.
          const refused = await deployments.publish(MODEL, { champion: { version: v1!.version, sha256: 'f'.repeat(64) }, updatedBy: 'scoring-test', reason: 'a wrong sha256' });
          refusedRevision = refused.revision;
          await waitFor('the wrong sha256 to be refused', async () => ((await metricValue(metrics, 'tributary_scorer_model_swap_failures_total', { role: 'champion' })) >= 1 ? true : undefined), 60_000, 50);
        }
        // The first swap is the initial deployment.
        await waitForScoringAfterSwap(swap + 1);
      }
    } finally {
      producing = false;
      await steadyProducer;
      await producer.disconnect();
    }

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), fraudTopic(config, 'features'));
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, inputIds)).toEqual({ duplicates: [], missing: [], unexpected: [] });

    const wrongVersion = scores.filter((score) => versionOfRevision.get(Number(score.deployment_revision)) !== score.model_version);
    expect(wrongVersion).toEqual([]);
    // The swaps happened while records flowed: every revision that loaded scored something.
    expect(new Set(scores.map((score) => Number(score.deployment_revision)))).toEqual(new Set(versionOfRevision.keys()));

    // A chunk takes its lease and its scored_at in one step, so in scored_at order revisions never go back.
    const inScoringOrder = [...scores].sort((a, b) => a.scored_at - b.scored_at || Number(a.deployment_revision) - Number(b.deployment_revision));
    const wentBack = inScoringOrder.filter((score, index) => index > 0 && Number(score.deployment_revision) < Number(inScoringOrder[index - 1]!.deployment_revision));
    expect(wentBack).toEqual([]);

    expect(refusedRevision).toBeGreaterThan(0);
    expect(scores.filter((score) => Number(score.deployment_revision) === refusedRevision)).toEqual([]);
    expect(await metricValue(metrics, 'tributary_scorer_model_swaps_total', { outcome: 'swapped' })).toBe(SWAPS + 1);
    expect(await metricValue(metrics, 'tributary_scorer_model_swap_failures_total', { role: 'champion' })).toBe(1);
    expect(logs.some((line) => line.includes(`cannot serve fraud version ${v1!.version}`) && line.includes(`still serving revision ${refusedRevision - 1}`))).toBe(true);
  });
});
