/**
 * How often the default latency guardrail rolls back a challenger that is exactly as fast as the
 * champion, and how often the guardrail of the old defaults (an absolute p99 of 1000 ms) did, on
 * simulated traffic shaped like the local stack's: transactions arrive at RATE/s, their features
 * become visible to the scorer only when the feature job's checkpoint (every CHECKPOINT_MS)
 * commits them, and the scorer then takes a batch's processing time, the same for every record
 * of the batch whichever variant decides it (as src/serving/batch-scorer.ts stamps scored-at once
 * per batch). Entity keys split SHARE to the challenger. Each trial is one poll's figures after
 * STEP_SECONDS of a step, judged by the plan's own `guardrailBreach`. The same steps with every
 * challenger record SLOWER_BY_MS later say how often the default catches a challenger that slow.
 * Pure computation, seeded: no server needed. Prints one JSON document.
 *
 *   npx tsx bench/rollout-latency-guardrail.bench.ts   # TRIALS=2000 RATE=20 SHARE=0.1 CHECKPOINT_MS=10000 STEP_SECONDS=120 SLOWER_BY_MS=1000
 */
import { computeLiveMetrics, type ScoreObservation } from '../src/rollout/live-metrics.js';
import { DEFAULT_GUARDRAILS, GUARDRAILS_BEFORE_RELATIVE_LATENCY, guardrailBreach } from '../src/workflows/ab-rollout-plan.js';
import { createSeededRandom } from '../src/training/seeded-random.js';

const TRIALS = Number(process.env.TRIALS ?? 2_000);
const RATE = Number(process.env.RATE ?? 20);
const SHARE = Number(process.env.SHARE ?? 0.1);
const CHECKPOINT_MS = Number(process.env.CHECKPOINT_MS ?? 10_000);
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 120);
const SLOWER_BY_MS = Number(process.env.SLOWER_BY_MS ?? 1_000);
const SCOPE = { model: 'fraud', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 };

/** One step's scores: arrival, visibility at the next checkpoint, a per-batch processing time (20–200 ms, sometimes a 2 s stall). */
function stepScores(next: () => number): ScoreObservation[] {
  const scores: ScoreObservation[] = [];
  const phase = next() * CHECKPOINT_MS;
  const processing = new Map<number, number>();
  for (let at = 0, id = 0; at < STEP_SECONDS * 1000; at += (-Math.log(1 - next()) * 1000) / RATE, id += 1) {
    const visibleAt = Math.ceil((at - phase) / CHECKPOINT_MS) * CHECKPOINT_MS + phase;
    if (!processing.has(visibleAt)) processing.set(visibleAt, next() < 0.02 ? 2_000 : 20 + next() * 180);
    const challenger = next() < SHARE;
    scores.push({
      event_id: `t-${id}`,
      prediction: 0.1,
      decision: 'NEGATIVE',
      model: SCOPE.model,
      model_version: challenger ? SCOPE.challengerVersion : SCOPE.championVersion,
      variant: challenger ? 'CHALLENGER' : 'CHAMPION',
      shadow: null,
      deployment_revision: 1,
      scoring_ms: visibleAt - at + processing.get(visibleAt)!,
    });
  }
  return scores;
}

const next = createSeededRandom(17);
let relativeRollbacks = 0;
let absoluteRollbacks = 0;
let slowerCaught = 0;
let judged = 0;
const challengerScores: number[] = [];
for (let trial = 0; trial < TRIALS; trial += 1) {
  const scores = stepScores(next);
  const metrics = computeLiveMetrics(SCOPE, scores, new Map(), { dlqRecords: 0, undecodable: 0 });
  const slower = scores.map((score) => (score.variant === 'CHALLENGER' ? { ...score, scoring_ms: score.scoring_ms + SLOWER_BY_MS } : score));
  challengerScores.push(metrics.challenger.scored);
  if (metrics.challenger.scored < DEFAULT_GUARDRAILS.minScoresForLatency) continue;
  judged += 1;
  if (guardrailBreach(metrics, DEFAULT_GUARDRAILS) !== undefined) relativeRollbacks += 1;
  if (guardrailBreach(metrics, GUARDRAILS_BEFORE_RELATIVE_LATENCY) !== undefined) absoluteRollbacks += 1;
  if (guardrailBreach(computeLiveMetrics(SCOPE, slower, new Map(), { dlqRecords: 0, undecodable: 0 }), DEFAULT_GUARDRAILS) !== undefined) slowerCaught += 1;
}
challengerScores.sort((a, b) => a - b);

console.log(
  JSON.stringify(
    {
      benchmark: 'rollout-latency-guardrail',
      measured: 'share of polls whose latency guardrail rolls back a challenger exactly as fast as the champion, defaults vs the old absolute 1000 ms p99',
      trials: TRIALS,
      judged,
      rate: RATE,
      share: SHARE,
      checkpointIntervalMs: CHECKPOINT_MS,
      stepSeconds: STEP_SECONDS,
      medianChallengerScores: challengerScores[Math.floor(challengerScores.length / 2)],
      falseRollbackRate: { defaults: relativeRollbacks / judged, beforeRelativeLatency: absoluteRollbacks / judged },
      slowerByMs: SLOWER_BY_MS,
      slowerCaughtRate: slowerCaught / judged,
    },
    null,
    2,
  ),
);
