import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { simulatorTopics } from '../../examples/fraud/fraud-pipeline.js';
import type { CliEnvironment } from '../../src/cli/cli-environment.js';
import { simulateCommand } from '../../examples/fraud/simulator/simulate-command.js';
import type { TributaryConfig } from '../../src/config/config.js';
import { fraudDefinition } from '../helpers/fraud-pipeline.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import type { ClosableSimulationSink, SinkRecord } from '../../examples/fraud/simulator/simulation-runner.js';

const CONFIG = { topics: { prefix: 'test.' } } as TributaryConfig;

/** Runs the example's `simulate <args>` in-process with a fake environment and sink. */
async function simulate(args: string[]) {
  const printed: string[] = [];
  const errors: string[] = [];
  const sent: SinkRecord[] = [];
  const sinkCalls: string[] = [];
  let configReads = 0;
  const cli: CliEnvironment = {
    config: () => {
      configReads++;
      return CONFIG;
    },
    print: (text) => printed.push(text),
    fail: (message) => errors.push(message),
    setExitCode: () => {},
  };
  const createSink = async (config: TributaryConfig): Promise<ClosableSimulationSink> => {
    sinkCalls.push(`create ${config.topics.prefix}`);
    return {
      send: async (records) => void sent.push(...records),
      close: async () => void sinkCalls.push('close'),
    };
  };
  const command = simulateCommand(cli, createSink)
    .exitOverride()
    .configureOutput({ writeErr: (text) => errors.push(text), writeOut: (text) => printed.push(text) });
  let failure: unknown;
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (error) {
    failure = error;
  }
  return { printed, errors, sent, sinkCalls, configReads, failure };
}

const FIXED = ['--seed', '3', '--start-time', '2025-01-15T00:00:00Z', '--rate', '100000'];

describe('simulate (examples/fraud/cli.ts)', () => {
  it('prints one JSON line per event with --dry-run, the same events the generator gives, without reading the configuration', async () => {
    const { printed, sinkCalls, configReads, failure } = await simulate([...FIXED, '--count', '200', '--dry-run']);
    expect(failure).toBeUndefined();
    const lines = printed.flatMap((chunk) => chunk.split('\n')).map((line) => JSON.parse(line) as unknown);
    const expected = [...simulateEvents({ seed: 3, startTime: Date.UTC(2025, 0, 15), count: 200, rate: 100_000 })];
    expect(lines).toEqual(expected);
    expect(sinkCalls).toEqual([]);
    expect(configReads).toBe(0);
  });

  it('produces through the sink built from the configuration, and closes it', async () => {
    const { sent, sinkCalls, printed } = await simulate([...FIXED, '--count', '100', '--fraud-rate', '0.05', '--label-share', '0.5', '--late-share', '0', '--out-of-order-ms', '0']);
    expect(sent).toEqual([...simulateEvents({ seed: 3, startTime: Date.UTC(2025, 0, 15), count: 100, rate: 100_000, fraudRate: 0.05, labelShare: 0.5, lateShare: 0, outOfOrderMs: 0 })]);
    expect(sinkCalls).toEqual(['create test.', 'close']);
    expect(printed).toEqual([]);
  });

  it('accepts epoch milliseconds as the start time', async () => {
    const { sent } = await simulate(['--seed', '3', '--start-time', String(Date.UTC(2025, 0, 15)), '--rate', '100000', '--count', '20']);
    expect(sent.filter((r) => r.topic === 'transactions')).toHaveLength(20);
  });

  it('names each bad flag on its own line, exit code 2, and builds no sink', async () => {
    const { errors, failure, sinkCalls } = await simulate(['--fraud-rate', '0.5', '--label-share', '2', '--count', '-1', '--drift-after', '1.5']);
    expect(failure).toBeInstanceOf(CommanderError);
    expect((failure as CommanderError).exitCode).toBe(2);
    expect(errors.join('')).toBe(
      [
        'error: --count=-1: expected a whole number ≥ 0',
        'error: --fraud-rate=0.5: expected a number from 0 to 0.2',
        'error: --drift-after=1.5: expected a whole number ≥ 0',
        'error: --label-share=2: expected a share from 0 to 1',
        '',
      ].join('\n'),
    );
    expect(sinkCalls).toEqual([]);
  });

  it('refuses a value that is not a number or a time, in one line', async () => {
    const rate = await simulate(['--rate', 'fast']);
    expect(rate.failure).toBeInstanceOf(CommanderError);
    expect(rate.errors.join('')).toBe(`error: option '--rate <per-second>' argument 'fast' is invalid. expected a number, got "fast"\n`);
    const start = await simulate(['--start-time', 'yesterday']);
    expect(start.errors.join('')).toBe(
      `error: option '--start-time <time>' argument 'yesterday' is invalid. expected an ISO 8601 time such as 2025-01-15T09:00:00Z, or epoch milliseconds, got "yesterday"\n`,
    );
  });

  it('refuses a rate of zero before producing anything', async () => {
    const { errors, failure } = await simulate(['--rate', '0', '--dry-run']);
    expect((failure as CommanderError).exitCode).toBe(2);
    expect(errors.join('')).toBe('error: --rate=0: expected a number > 0\n');
  });
});

describe("the simulator's topics", () => {
  it('are the fraud definition\'s first source and labels topics under the configured prefix', () => {
    expect(simulatorTopics({ topics: { prefix: 'p.' } })).toEqual({ transactions: `p.${fraudDefinition.sources[0]!.topic}`, labels: `p.${fraudDefinition.labels.topic}` });
  });

  it('follow the definition when it names other topics', () => {
    const renamed = { ...fraudDefinition, sources: [{ ...fraudDefinition.sources[0]!, topic: 'payments' }], labels: { ...fraudDefinition.labels, topic: 'outcomes' } };
    expect(simulatorTopics({ topics: { prefix: 'p.' } }, renamed)).toEqual({ transactions: 'p.payments', labels: 'p.outcomes' });
  });
});
