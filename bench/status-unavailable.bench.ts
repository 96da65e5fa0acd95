/**
 * How long `tributary status` takes to say "unavailable" when every service is down (each
 * endpoint a closed local port), beside the section timeout it must not wait for: a report that
 * took as long as the timeout would mean a section hung instead of failing with its reason. The
 * unit test (test/unit/status-report.test.ts) checks the reasons; this measures the time. Needs no
 * server. Prints one JSON document.
 *
 *   npm run bench -- status-unavailable      # ROUNDS=5
 */
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { gatherStatusReport } from '../src/status/status-report.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** The same options as the unit test. */
const TIMEOUT_MS = 10_000;
const KAFKA_PROBE_TIMEOUT_MS = 1_000;

const base = loadConfig();
const everythingDown: TributaryConfig = {
  ...base,
  kafka: { ...base.kafka, brokers: ['127.0.0.1:1'] },
  temporal: { ...base.temporal, address: '127.0.0.1:1' },
  flink: { ...base.flink, restUrl: 'http://127.0.0.1:1' },
  stack: { ...base.stack, mode: 'docker' },
};

const samplesMs: number[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  const began = performance.now();
  const report = await gatherStatusReport(everythingDown, { timeoutMs: TIMEOUT_MS, kafkaProbeTimeoutMs: KAFKA_PROBE_TIMEOUT_MS });
  samplesMs.push(Math.round(performance.now() - began));
  const available = Object.entries(report).filter(([key, section]) => key !== 'at' && (section as { available: boolean }).available);
  if (available.length > 0) throw new Error(`with every endpoint on a closed port, these sections answered: ${available.map(([key]) => key).join(', ')}`);
  process.stderr.write(`status-unavailable: round ${round}/${ROUNDS}: ${samplesMs.at(-1)} ms\n`);
}
const sorted = [...samplesMs].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'status-unavailable',
    rounds: ROUNDS,
    sectionTimeoutMs: TIMEOUT_MS,
    kafkaProbeTimeoutMs: KAFKA_PROBE_TIMEOUT_MS,
    medianMs: sorted[Math.floor(sorted.length / 2)],
    maxMs: sorted.at(-1),
    samplesMs,
  })}\n`,
);
