import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type { CliEnvironment } from '../../../src/cli/cli-environment.js';
import { progressPrinter } from '../../../src/cli/output.js';
import type { TributaryConfig } from '../../../src/config/config.js';
import { formatSimulatorOptionIssue, SimulatorOptionsError } from './errors.js';
import { simulateEvents } from './event-generator.js';
import { runSimulation, type ClosableSimulationSink, type SimulationProgress } from './simulation-runner.js';
import { SIMULATOR_DEFAULTS, type SimulatorOptions } from './simulator-options.js';

interface SimulateFlags {
  readonly seed?: number;
  readonly count?: number;
  readonly rate: number;
  readonly fraudRate?: number;
  readonly labelShare?: number;
  readonly labelDelayScale?: number;
  readonly driftAfter?: number;
  readonly outOfOrderMs?: number;
  readonly lateShare?: number;
  readonly startTime?: number;
  readonly dryRun?: boolean;
}

/** The flag that sets each option, so validation messages name what the person typed. */
const FLAG_OF_OPTION: Partial<Record<keyof SimulatorOptions, string>> = {
  seed: '--seed',
  count: '--count',
  rate: '--rate',
  fraudRate: '--fraud-rate',
  labelShare: '--label-share',
  labelDelayScale: '--label-delay-scale',
  driftAfter: '--drift-after',
  outOfOrderMs: '--out-of-order-ms',
  lateShare: '--late-share',
  startTime: '--start-time',
};

const PROGRESS_INTERVAL_MS = 5_000;

function number(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return parsed;
}

/** An ISO 8601 time (`2025-01-15T09:00:00Z`) or epoch milliseconds. */
function time(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`expected an ISO 8601 time such as 2025-01-15T09:00:00Z, or epoch milliseconds, got "${value}"`);
  return parsed;
}

/** One line per bad option, named by its flag: `error: --fraud-rate=0.5: expected a number from 0 to 0.2`. */
function describeForFlags(error: SimulatorOptionsError): string {
  return error.issues
    .map((issue) => `error: ${formatSimulatorOptionIssue({ ...issue, key: FLAG_OF_OPTION[issue.key as keyof SimulatorOptions] ?? issue.key })}`)
    .join('\n');
}

/** Prints each event as one JSON line (`{"topic":…,"key":…,"value":…}`) instead of producing it. */
function printingSink(cli: CliEnvironment): ClosableSimulationSink {
  return {
    send: async (records) => cli.print(records.map((record) => JSON.stringify(record)).join('\n')),
    close: async () => {},
  };
}

const describeProgress = (p: SimulationProgress): string =>
  `${p.sent.toLocaleString('en')} events (${p.transactions.toLocaleString('en')} transactions, ${p.labels.toLocaleString('en')} labels)` +
  (p.lastEventTime === undefined ? '' : `, simulated time ${new Date(p.lastEventTime).toISOString()}`);

/**
 * `simulate` (examples/fraud/cli.ts): card transactions and their labels, produced to the fraud
 * definition's source and labels topics through the sink `createSink` builds (or printed with
 * `--dry-run`, each line's `topic` being the kind of event, `transactions` or `labels`), paced to
 * `--rate` transactions per second (their labels come on top, so simulated time keeps pace with
 * the wall clock) until `--count` transactions and their labels are out, or Ctrl-C.
 */
export function simulateCommand(cli: CliEnvironment, createSink: (config: TributaryConfig) => Promise<ClosableSimulationSink>): Command {
  return new Command('simulate')
    .description('generate card transactions with injected fraud and delayed labels, and produce them to Kafka (or print them)')
    .option('--seed <n>', 'seed of the generator; the same seed and flags give the same events (default: random, printed)', number)
    .option('--count <transactions>', 'transactions to generate; their pending labels follow (default: no end)', number)
    .option('--rate <per-second>', 'transactions per second, in wall-clock and simulated time alike (their labels are sent on top)', number, SIMULATOR_DEFAULTS.rate)
    .option('--fraud-rate <share>', `share of fraudulent transactions, 0 to 0.2 (default: ${SIMULATOR_DEFAULTS.fraudRate})`, number)
    .option('--label-share <share>', `share of legitimate transactions confirmed by a label (default: ${SIMULATOR_DEFAULTS.labelShare})`, number)
    .option('--label-delay-scale <factor>', 'multiplies label delays (chargebacks: median 20 min), e.g. 0.1 for a quick demo (default: 1)', number)
    .option('--drift-after <transactions>', 'switch to the drifted fraud patterns after this many transactions (default: never)', number)
    .option('--out-of-order-ms <ms>', `how far out of order transactions are emitted (default: ${SIMULATOR_DEFAULTS.outOfOrderMs})`, number)
    .option('--late-share <share>', `share of transactions emitted 5–60 s beyond --out-of-order-ms (default: ${SIMULATOR_DEFAULTS.lateShare})`, number)
    .option('--start-time <time>', 'start of the simulated clock: ISO 8601 or epoch milliseconds (default: now)', time)
    .option('--dry-run', 'print one JSON line per event to stdout instead of producing to Kafka')
    .action(async (flags: SimulateFlags, command: Command) => {
      const seed = flags.seed ?? randomInt(0, 2 ** 32);
      const startTime = flags.startTime ?? Date.now();
      let events: ReturnType<typeof simulateEvents>;
      try {
        events = simulateEvents({
          seed,
          startTime,
          count: flags.count,
          rate: flags.rate,
          fraudRate: flags.fraudRate,
          labelShare: flags.labelShare,
          labelDelayScale: flags.labelDelayScale,
          driftAfter: flags.driftAfter,
          outOfOrderMs: flags.outOfOrderMs,
          lateShare: flags.lateShare,
        });
      } catch (error) {
        if (error instanceof SimulatorOptionsError) command.error(describeForFlags(error), { exitCode: 2, code: 'tributary.invalidOption' });
        throw error;
      }

      const progress = progressPrinter();
      progress(`simulating with --seed ${seed} --start-time ${new Date(startTime).toISOString()} at ${flags.rate} transactions/s${flags.dryRun ? ' (dry run)' : ''}`);
      const sink = flags.dryRun ? printingSink(cli) : await createSink(cli.config());
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop).once('SIGTERM', stop);
      // `--dry-run | head` closes stdout early: stop quietly instead of failing on EPIPE.
      if (flags.dryRun) process.stdout.on('error', stop);
      let reportedAt = Date.now();
      try {
        const result = await runSimulation(events, sink, {
          rate: flags.rate,
          // The generator spaces transactions at --rate per simulated second, so pacing the same
          // count per wall-clock second keeps simulated time at 1x (labels would slow it down).
          paced: 'transactions',
          signal: controller.signal,
          onProgress: (p) => {
            if (Date.now() - reportedAt < PROGRESS_INTERVAL_MS) return;
            reportedAt = Date.now();
            progress(`sent ${describeProgress(p)}`);
          },
        });
        progress(`${result.aborted ? 'stopped after' : 'done:'} ${describeProgress(result)}`);
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        process.stdout.off('error', stop);
        await sink.close();
      }
    });
}
