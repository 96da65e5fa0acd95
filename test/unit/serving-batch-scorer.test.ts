import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreBatch, type BatchOutcome, type FeatureInput, type ScoreValue } from '../../src/serving/batch-scorer.js';
import type { ChallengerMode } from '../../src/serving/model-deployment.js';
import type { ServingSnapshot } from '../../src/serving/served-models.js';
import { loadScoringModel, type ScoringModel } from '../../src/serving/scoring-model.js';
import { decidingVariant } from '../../src/serving/variant-router.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import type { FeatureMatrix } from '../../src/training/feature-matrix.js';
import { predictScores } from '../../src/training/model.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import type { VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';
import { loadRecordFields } from '../../src/pipelines/avro-fields.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';
import { fraudSpec } from '../helpers/fraud-pipeline.js';
import { generateSyntheticExamples, type FraudExampleRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { deploymentOf, MODEL, registerNetwork, testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';

const NOW = 1_800_000_000_000;
const records: FeatureRecord[] = generateSyntheticExamples({ count: 200, seed: 21 });
/** The challenger's vectoriser is fitted on other rows than the champion's: the scorer must feed each its own. */
const challengerSpec = fraudSpec(300, 99);
/** A version that reads a field the records lack (is_known_device instead of is_new_device). */
const rename = (name: string): string => (name === 'is_new_device' ? 'is_known_device' : name);
const renamedSpec: VectoriserSpec = { ...testSpec, inputs: testSpec.inputs.map((entry) => ({ ...entry, field: rename(entry.field) })), columns: testSpec.columns.map(rename) };

/** The scores of `network` for `batch` through `spec`, as training would compute them. */
async function networkScores(seed: number, spec: VectoriserSpec, batch: readonly unknown[]): Promise<Float32Array> {
  const vectoriser = compileVectoriser(spec);
  const vectors = vectoriser.vectoriseBatch(batch);
  const network = testNetwork(seed);
  try {
    return await predictScores(network, { rowCount: vectors.rowCount, columnCount: vectoriser.width, values: vectors.values });
  } finally {
    network.dispose();
  }
}
const inputsOf = (batch: readonly unknown[]): FeatureInput[] => batch.map((record, index) => ({ record, kafkaTimestamp: NOW - 100 - index }));
const scoreType = loadSchemaFile(join(import.meta.dirname, '../../schemas/score.avsc')).type;

let champion: ScoringModel;
let challenger: ScoringModel;
let renamed: ScoringModel;
/** What the registered networks give for `records`, row for row: the reference the scorer must reproduce. */
let championExpected: Float32Array;
let challengerExpected: Float32Array;

beforeAll(async () => {
  await useCpuBackend();
  const registry = new InMemoryModelRegistry();
  const register = async (seed: number, spec: VectoriserSpec): Promise<ScoringModel> => {
    const network = testNetwork(seed);
    try {
      return await loadScoringModel(registry, MODEL, await registerNetwork(registry, network, 0.5, spec));
    } finally {
      network.dispose();
    }
  };
  champion = await register(1, testSpec);
  challenger = await register(2, challengerSpec);
  renamed = await register(3, renamedSpec);
  championExpected = await networkScores(1, testSpec, records);
  challengerExpected = await networkScores(2, challengerSpec, records);
});

afterAll(() => {
  champion.dispose();
  challenger.dispose();
  renamed.dispose();
});

/** Wraps a model to count its score() calls and the rows each call scored. */
function counted(model: ScoringModel): ScoringModel & { readonly calls: number[] } {
  const calls: number[] = [];
  return {
    model: model.model,
    version: model.version,
    sha256: model.sha256,
    task: model.task,
    runtime: model.runtime,
    threshold: model.threshold,
    identity: model.identity,
    vectoriser: model.vectoriser,
    calls,
    score: (matrix: FeatureMatrix) => {
      calls.push(matrix.rowCount);
      return model.score(matrix);
    },
    dispose: () => model.dispose(),
  };
}

function snapshotOf(mode: ChallengerMode, share: number, models: { champion?: ScoringModel; challenger?: ScoringModel } = { champion, challenger }): ServingSnapshot {
  const servedOf = (model: ScoringModel | undefined) => (model === undefined ? null : { version: model.version, sha256: model.sha256 });
  return {
    deployment: deploymentOf({ revision: 9, champion: servedOf(models.champion), challenger: servedOf(models.challenger), challengerMode: mode, challengerShare: share }),
    champion: models.champion,
    challenger: models.challenger,
  };
}

function withoutField(record: FeatureRecord, field: keyof FeatureRecord): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  delete copy[field];
  return copy;
}

function scoresOf(outcomes: readonly BatchOutcome[]): ScoreValue[] {
  return outcomes.map((outcome, index) => {
    if (outcome.kind !== 'scored') throw new Error(`input ${index} was rejected: ${outcome.reason}`);
    return outcome.score;
  });
}

describe('scoreBatch', () => {
  it('scores every record with the champion exactly as the registered network scores its row through the champion\'s spec, in input order', async () => {
    const championCounted = counted(champion);
    const outcomes = await scoreBatch(snapshotOf('NONE', 0, { champion: championCounted, challenger }), inputsOf(records), () => NOW);
    const scores = scoresOf(outcomes);
    expect(scores.map((score) => score.prediction)).toEqual(Array.from(championExpected));
    expect(championCounted.calls).toEqual([records.length]);
    const first = records[0]!;
    // The example's identity fields (examples/fraud: eventId transaction_id, entityKey card_hash, eventTime event_time).
    expect(outcomes[0]).toEqual({
      kind: 'scored',
      key: first.transaction_id,
      variant: 'champion',
      score: {
        pipeline: MODEL,
        event_id: first.transaction_id,
        entity_key: first.card_hash,
        prediction: championExpected[0],
        threshold: 0.5,
        decision: championExpected[0]! >= 0.5 ? 'POSITIVE' : 'NEGATIVE',
        model: MODEL,
        model_version: 1,
        model_runtime: 'tfjs',
        variant: 'CHAMPION',
        shadow: null,
        deployment_revision: 9,
        feature_job_version: 'synthetic',
        event_time: first.event_time,
        features_at: NOW - 100,
        scored_at: NOW,
        end_to_end_ms: NOW - first.event_time,
        scoring_ms: 100,
      },
    });
    expect(scores.every((score, index) => score.decision === (championExpected[index]! >= 0.5 ? 'POSITIVE' : 'NEGATIVE'))).toBe(true);
  });

  it('rejects invalid records as INVALID_FEATURES naming the model, the field and the value, and scores the rest of the batch', async () => {
    const batch: unknown[] = [
      records[0],
      { ...records[1], amount_sum_1h: Number.NaN },
      records[2],
      withoutField(records[3]!, 'txn_count_24h'),
      { ...records[4], card_hash: 4.5 },
      'not a record',
      null,
      records[5],
      withoutField(records[6]!, 'transaction_id'),
      { ...records[7], transaction_id: '' },
      { ...records[8], event_time: '2025-01-01' },
      withoutField(records[9]!, 'card_hash'),
    ];
    const championCounted = counted(champion);
    const outcomes = await scoreBatch(snapshotOf('NONE', 0, { champion: championCounted }), inputsOf(batch), () => NOW);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['scored', 'rejected', 'scored', 'rejected', 'rejected', 'rejected', 'rejected', 'scored', 'rejected', 'rejected', 'rejected', 'rejected']);
    const id = (row: number): string => records[row]!.transaction_id;
    expect(outcomes.filter((outcome) => outcome.kind === 'rejected')).toEqual(
      [
        `invalid features for fraud v1 in event ${id(1)}: amount_sum_1h is NaN; expected a finite number`,
        `invalid features for fraud v1 in event ${id(3)}: txn_count_24h is missing; expected a finite number`,
        `field card_hash (features.entityKey) of the features record of event ${id(4)} is 4.5, expected a non-empty string or a whole number`,
        'a features record must be an object, got string',
        'a features record must be an object, got null',
        'field transaction_id (features.eventId) of the features record is missing, expected a non-empty string or a whole number',
        'field transaction_id (features.eventId) of the features record is "", expected a non-empty string or a whole number',
        `field event_time (features.eventTime) of the features record of event ${id(8)} is "2025-01-01", expected epoch milliseconds`,
        `field card_hash (features.entityKey) of the features record of event ${id(9)} is missing, expected a non-empty string or a whole number`,
      ].map((reason) => ({ kind: 'rejected', errorType: 'INVALID_FEATURES', reason })),
    );
    const scored = outcomes.flatMap((outcome) => (outcome.kind === 'scored' ? [outcome.score] : []));
    expect(scored.map((score) => [score.event_id, score.prediction])).toEqual([0, 2, 5].map((row) => [records[row]!.transaction_id, championExpected[row]]));
    expect(championCounted.calls).toEqual([3]);
  });

  it('rejects every record as NO_CHAMPION when the deployment has no champion (no identity fields or spec to read it by), without scoring', async () => {
    const challengerCounted = counted(challenger);
    const outcomes = await scoreBatch(snapshotOf('SHADOW', 0, { challenger: challengerCounted }), inputsOf([records[0], { ...records[1], hour_of_day: 24 }, { ...records[2], card_hash: 1.5 }]), () => NOW);
    const noChampion = { kind: 'rejected', errorType: 'NO_CHAMPION', reason: 'fraud has no champion in deployment revision 9, so nothing may decide' };
    expect(outcomes).toEqual([noChampion, noChampion, noChampion]);
    expect(challengerCounted.calls).toEqual([]);
  });

  it('reads each record through the model that scores it: a record only the challenger cannot read gets no shadow, or is rejected naming the challenger when it decides', async () => {
    // Half the records carry the field the renamed version reads.
    const mixed = records.slice(0, 40).map((record, index) => (index % 2 === 0 ? { ...record, is_known_device: record.is_new_device } : record));
    const shadow = await scoreBatch(snapshotOf('SHADOW', 0, { champion, challenger: renamed }), inputsOf(mixed), () => NOW);
    scoresOf(shadow).forEach((score, index) => {
      expect(score.prediction).toBe(championExpected[index]);
      expect(score.shadow === null).toBe(index % 2 === 1);
    });
    const split = await scoreBatch(snapshotOf('SPLIT', 0.5, { champion, challenger: renamed }), inputsOf(mixed), () => NOW);
    const routed = mixed.map((record) => decidingVariant(record.card_hash, 'SPLIT', 0.5));
    split.forEach((outcome, index) => {
      if (routed[index] === 'challenger' && index % 2 === 1) {
        expect(outcome).toEqual({
          kind: 'rejected',
          errorType: 'INVALID_FEATURES',
          reason: `invalid features for fraud v3 in event ${mixed[index]!.transaction_id}: is_known_device is missing; expected true or false`,
        });
      } else {
        expect(outcome).toMatchObject({ kind: 'scored', variant: routed[index] });
      }
    });
    expect(routed.filter((variant, index) => variant === 'challenger' && index % 2 === 1).length).toBeGreaterThan(0);
  });

  it('in SHADOW, records the challenger\'s score of every record beside the champion\'s decision', async () => {
    const championCounted = counted(champion);
    const challengerCounted = counted(challenger);
    const outcomes = await scoreBatch(snapshotOf('SHADOW', 0, { champion: championCounted, challenger: challengerCounted }), inputsOf(records), () => NOW);
    const scores = scoresOf(outcomes);
    scores.forEach((score, index) => {
      expect(score).toMatchObject({ variant: 'CHAMPION', model_version: 1, prediction: championExpected[index], decision: championExpected[index]! >= 0.5 ? 'POSITIVE' : 'NEGATIVE' });
      expect(score.shadow).toEqual({ model_version: 2, model_runtime: 'tfjs', prediction: challengerExpected[index], decision: challengerExpected[index]! >= 0.5 ? 'POSITIVE' : 'NEGATIVE' });
    });
    expect(outcomes.every((outcome) => outcome.kind === 'scored' && outcome.variant === 'champion')).toBe(true);
    expect(championCounted.calls).toEqual([records.length]);
    expect(challengerCounted.calls).toEqual([records.length]);
  });

  it('in SPLIT, lets the challenger decide the routed keys with its own version, one score() call per model', async () => {
    const championCounted = counted(champion);
    const challengerCounted = counted(challenger);
    const outcomes = await scoreBatch(snapshotOf('SPLIT', 0.3, { champion: championCounted, challenger: challengerCounted }), inputsOf(records), () => NOW);
    const routed = records.map((record) => decidingVariant(record.card_hash, 'SPLIT', 0.3));
    const challengerRows = routed.filter((variant) => variant === 'challenger').length;
    expect(challengerRows).toBeGreaterThan(20);
    expect(challengerRows).toBeLessThan(records.length - 20);
    outcomes.forEach((outcome, index) => {
      const byChallenger = routed[index] === 'challenger';
      const expected = byChallenger ? challengerExpected[index]! : championExpected[index]!;
      expect(outcome).toMatchObject({
        kind: 'scored',
        variant: routed[index],
        score: { variant: byChallenger ? 'CHALLENGER' : 'CHAMPION', model_version: byChallenger ? 2 : 1, prediction: expected, shadow: null, entity_key: records[index]!.card_hash },
      });
    });
    expect(championCounted.calls).toEqual([records.length - challengerRows]);
    expect(challengerCounted.calls).toEqual([challengerRows]);
  });

  it('stamps each record with the time its deciding model finished, so a slower challenger shows in its own latency and not in the champion\'s', async () => {
    // A clock the fake models move: the champion takes 5 ms, the challenger, scored after it, 900 ms more.
    let clockMs = NOW;
    const timed = (model: ScoringModel, tookMs: number): ScoringModel => ({
      ...model,
      score: async (matrix: FeatureMatrix) => {
        const scores = await model.score(matrix);
        clockMs += tookMs;
        return scores;
      },
    });
    const inputs = inputsOf(records);
    const outcomes = await scoreBatch(snapshotOf('SPLIT', 0.3, { champion: timed(champion, 5), challenger: timed(challenger, 900) }), inputs, () => clockMs);
    const scored = scoresOf(outcomes);
    scored.forEach((score, index) => {
      const scoredAt = score.variant === 'CHAMPION' ? NOW + 5 : NOW + 905;
      expect(score.scored_at).toBe(scoredAt);
      expect(score.scoring_ms).toBe(scoredAt - inputs[index]!.kafkaTimestamp);
      expect(score.end_to_end_ms).toBe(scoredAt - records[index]!.event_time);
    });
    expect(new Set(scored.map((score) => score.variant))).toEqual(new Set(['CHAMPION', 'CHALLENGER']));
  });

  it('decides POSITIVE at exactly the deciding model\'s threshold and NEGATIVE just below it', async () => {
    const fixedScores = Float32Array.of(0.25, 0.2499999850988388, 0.9);
    const fixed: ScoringModel = { ...champion, version: 4, sha256: 'f'.repeat(64), threshold: 0.25, score: () => Promise.resolve(fixedScores), dispose: () => undefined };
    const outcomes = await scoreBatch(snapshotOf('NONE', 0, { champion: fixed }), inputsOf(records.slice(0, 3)), () => NOW);
    expect(scoresOf(outcomes).map((score) => score.decision)).toEqual(['POSITIVE', 'NEGATIVE', 'POSITIVE']);
  });

  it('produces values that schemas/score.avsc encodes and decodes unchanged, with and without a shadow score', async () => {
    const shadowScores = scoresOf(await scoreBatch(snapshotOf('SHADOW', 0), inputsOf(records.slice(0, 5)), () => NOW));
    const splitScores = scoresOf(await scoreBatch(snapshotOf('SPLIT', 0.5), inputsOf(records.slice(0, 20)), () => NOW));
    const values = [...shadowScores, ...splitScores];
    expect(values.some((value) => value.shadow !== null)).toBe(true);
    expect(values.some((value) => value.shadow === null && value.variant === 'CHALLENGER')).toBe(true);
    for (const value of values) {
      const problems: string[] = [];
      scoreType.isValid(value, { errorHook: (path) => problems.push(path.join('.')) });
      expect(problems).toEqual([]);
      expect(scoreType.fromBuffer(scoreType.toBuffer(value))).toEqual(value);
    }
  });
});

describe('scoreBatch for a regression pipeline (examples/delivery)', () => {
  const delivery = loadPipelineDefinition(join(import.meta.dirname, '../../examples/delivery/pipeline.yaml'));
  const fields = loadRecordFields(join(import.meta.dirname, '../../examples/delivery/schemas/delivery-features.avsc')).fields!;
  const PLACED_AT = 1_799_999_000_000;
  /** Records of delivery-features.avsc: no feature_job_version, ids named order_id and customer_hash. */
  const orders = [0, 1, 2, 3].map((row) => ({
    order_id: `o-${row}`,
    customer_hash: `c-${row}`,
    city: row % 2 === 0 ? 'Lisbon' : 'Porto',
    placed_at: PLACED_AT + row * 1000,
    distance_km: 1.5 + row,
    items: 1 + row,
    order_value: 12 + row,
    promised_minutes: row === 0 ? null : 30,
    restaurant_orders_30m: 3 + row,
    restaurant_avg_items_30m: 2,
    courier_distance_km: row === 3 ? null : 0.8,
    courier_active_orders: row === 3 ? null : 1,
  }));
  const vectoriser = compileVectoriser(fitVectoriser(delivery.model.inputs, orders, fields));
  /** A regression model whose predictions are fixed minutes, so the records can be checked by hand. */
  const regression = (version: number, predictions: readonly number[]): ScoringModel => ({
    model: delivery.name,
    version,
    sha256: String(version).repeat(64),
    task: 'regression',
    runtime: 'tfjs',
    // What a regression artifact stores; it decides nothing.
    threshold: 0.5,
    identity: { eventId: delivery.features.eventId, entityKey: delivery.features.entityKey, eventTime: delivery.features.eventTime },
    vectoriser,
    score: (matrix) => Promise.resolve(Float32Array.from(predictions.slice(0, matrix.rowCount))),
    dispose: () => undefined,
  });
  const snapshot = (mode: ChallengerMode, champion: ScoringModel, challenger?: ScoringModel): ServingSnapshot => ({
    deployment: {
      ...deploymentOf({ revision: 4, champion: { version: champion.version, sha256: champion.sha256 }, challenger: challenger === undefined ? null : { version: challenger.version, sha256: challenger.sha256 }, challengerMode: mode }),
      model: delivery.name,
    },
    champion,
    challenger,
  });

  it('writes the prediction as the value, with no threshold or decision, keyed by the definition\'s event id and carrying its entity key and event time', async () => {
    const outcomes = await scoreBatch(snapshot('SHADOW', regression(2, [31.5, 22, 47.25, 18]), regression(3, [30, 25.5, 40, 20])), inputsOf(orders), () => NOW);
    expect(outcomes[0]).toEqual({
      kind: 'scored',
      key: 'o-0',
      variant: 'champion',
      score: {
        pipeline: 'delivery-time',
        event_id: 'o-0',
        entity_key: 'c-0',
        prediction: 31.5,
        threshold: null,
        decision: null,
        model: 'delivery-time',
        model_version: 2,
        model_runtime: 'tfjs',
        variant: 'CHAMPION',
        shadow: { model_version: 3, model_runtime: 'tfjs', prediction: 30, decision: null },
        deployment_revision: 4,
        feature_job_version: null,
        event_time: PLACED_AT,
        features_at: NOW - 100,
        scored_at: NOW,
        end_to_end_ms: NOW - PLACED_AT,
        scoring_ms: 100,
      },
    });
    const scores = scoresOf(outcomes);
    expect(scores.map((score) => [score.event_id, score.entity_key, score.prediction, score.shadow?.prediction])).toEqual([
      ['o-0', 'c-0', 31.5, 30],
      ['o-1', 'c-1', 22, 25.5],
      ['o-2', 'c-2', 47.25, 40],
      ['o-3', 'c-3', 18, 20],
    ]);
    for (const score of scores) expect(scoreType.fromBuffer(scoreType.toBuffer(score))).toEqual(score);
  });

  it('routes SPLIT by the entity key field the artifact names, and dead-letters a record lacking the event id naming the field', async () => {
    const split = snapshot('SPLIT', regression(2, [10, 10, 10, 10]), regression(3, [20, 20, 20, 20]));
    const batch: unknown[] = [...orders, { ...orders[0], order_id: undefined }, { ...orders[1], placed_at: null }];
    const outcomes = await scoreBatch({ ...split, deployment: { ...split.deployment, challengerShare: 0.5 } }, inputsOf(batch), () => NOW);
    orders.forEach((order, index) => expect(outcomes[index]).toMatchObject({ kind: 'scored', variant: decidingVariant(order.customer_hash, 'SPLIT', 0.5) }));
    expect(outcomes.slice(4)).toEqual([
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: 'field order_id (features.eventId) of the features record is missing, expected a non-empty string or a whole number' },
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: 'field placed_at (features.eventTime) of the features record of event o-1 is null, expected epoch milliseconds' },
    ]);
  });
});
