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
    threshold: model.threshold,
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
    expect(scores.map((score) => score.score)).toEqual(Array.from(championExpected));
    expect(championCounted.calls).toEqual([records.length]);
    const first = records[0]!;
    expect(outcomes[0]).toEqual({
      kind: 'scored',
      key: first.transaction_id,
      variant: 'champion',
      score: {
        transaction_id: first.transaction_id,
        card_hash: first.card_hash,
        score: championExpected[0],
        threshold: 0.5,
        decision: championExpected[0]! >= 0.5 ? 'DECLINE' : 'APPROVE',
        model: MODEL,
        model_version: 1,
        variant: 'CHAMPION',
        shadow: null,
        deployment_revision: 9,
        feature_job_version: 'synthetic',
        event_time: first.event_time,
        scored_at: NOW,
        end_to_end_ms: NOW - first.event_time,
        scoring_ms: 100,
      },
    });
    expect(scores.every((score, index) => score.decision === (championExpected[index]! >= 0.5 ? 'DECLINE' : 'APPROVE'))).toBe(true);
  });

  it('rejects invalid records as INVALID_FEATURES naming the model, the field and the value, and scores the rest of the batch', async () => {
    const batch: unknown[] = [
      records[0],
      { ...records[1], amount_sum_1h: Number.NaN },
      records[2],
      withoutField(records[3]!, 'txn_count_24h'),
      { ...records[4], card_hash: 42 },
      'not a record',
      null,
      records[5],
    ];
    const championCounted = counted(champion);
    const outcomes = await scoreBatch(snapshotOf('NONE', 0, { champion: championCounted }), inputsOf(batch), () => NOW);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['scored', 'rejected', 'scored', 'rejected', 'rejected', 'rejected', 'rejected', 'scored']);
    expect(outcomes.filter((outcome) => outcome.kind === 'rejected')).toEqual([
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: `invalid features for fraud v1 in record ${records[1]!.transaction_id}: amount_sum_1h is NaN; expected a finite number` },
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: `invalid features for fraud v1 in record ${records[3]!.transaction_id}: txn_count_24h is missing; expected a finite number` },
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: `invalid feature in transaction ${records[4]!.transaction_id}: card_hash=42, expected a string` },
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: 'a features record must be an object, got string' },
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: 'a features record must be an object, got null' },
    ]);
    const scored = outcomes.flatMap((outcome) => (outcome.kind === 'scored' ? [outcome.score] : []));
    expect(scored.map((score) => [score.transaction_id, score.score])).toEqual([0, 2, 5].map((row) => [records[row]!.transaction_id, championExpected[row]]));
    expect(championCounted.calls).toEqual([3]);
  });

  it('rejects every record as NO_CHAMPION when the deployment has no champion (no spec to read it by), without scoring', async () => {
    const challengerCounted = counted(challenger);
    const outcomes = await scoreBatch(snapshotOf('SHADOW', 0, { challenger: challengerCounted }), inputsOf([records[0], { ...records[1], hour_of_day: 24 }, { ...records[2], card_hash: 1 }]), () => NOW);
    const noChampion = { kind: 'rejected', errorType: 'NO_CHAMPION', reason: 'fraud has no champion in deployment revision 9, so nothing may decide' };
    expect(outcomes).toEqual([
      noChampion,
      noChampion,
      { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: `invalid feature in transaction ${records[2]!.transaction_id}: card_hash=1, expected a string` },
    ]);
    expect(challengerCounted.calls).toEqual([]);
  });

  it('reads each record through the model that scores it: a record only the challenger cannot read gets no shadow, or is rejected naming the challenger when it decides', async () => {
    // Half the records carry the field the renamed version reads.
    const mixed = records.slice(0, 40).map((record, index) => (index % 2 === 0 ? { ...record, is_known_device: record.is_new_device } : record));
    const shadow = await scoreBatch(snapshotOf('SHADOW', 0, { champion, challenger: renamed }), inputsOf(mixed), () => NOW);
    scoresOf(shadow).forEach((score, index) => {
      expect(score.score).toBe(championExpected[index]);
      expect(score.shadow === null).toBe(index % 2 === 1);
    });
    const split = await scoreBatch(snapshotOf('SPLIT', 0.5, { champion, challenger: renamed }), inputsOf(mixed), () => NOW);
    const routed = mixed.map((record) => decidingVariant(record.card_hash, 'SPLIT', 0.5));
    split.forEach((outcome, index) => {
      if (routed[index] === 'challenger' && index % 2 === 1) {
        expect(outcome).toEqual({
          kind: 'rejected',
          errorType: 'INVALID_FEATURES',
          reason: `invalid features for fraud v3 in record ${mixed[index]!.transaction_id}: is_known_device is missing; expected true or false`,
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
      expect(score).toMatchObject({ variant: 'CHAMPION', model_version: 1, score: championExpected[index], decision: championExpected[index]! >= 0.5 ? 'DECLINE' : 'APPROVE' });
      expect(score.shadow).toEqual({ model_version: 2, score: challengerExpected[index], decision: challengerExpected[index]! >= 0.5 ? 'DECLINE' : 'APPROVE' });
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
        score: { variant: byChallenger ? 'CHALLENGER' : 'CHAMPION', model_version: byChallenger ? 2 : 1, score: expected, shadow: null },
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

  it('declines at exactly the deciding model\'s threshold and approves just below it', async () => {
    const fixedScores = Float32Array.of(0.25, 0.2499999850988388, 0.9);
    const fixed: ScoringModel = { ...champion, version: 4, sha256: 'f'.repeat(64), threshold: 0.25, score: () => Promise.resolve(fixedScores), dispose: () => undefined };
    const outcomes = await scoreBatch(snapshotOf('NONE', 0, { champion: fixed }), inputsOf(records.slice(0, 3)), () => NOW);
    expect(scoresOf(outcomes).map((score) => score.decision)).toEqual(['DECLINE', 'APPROVE', 'DECLINE']);
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
