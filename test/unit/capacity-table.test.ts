import { describe, expect, it } from 'vitest';
import { CAPACITY_ASSUMPTIONS, capacityMarkdown, capacityTable } from '../../bench/capacity-table.js';

const scorer = { microsecondsPerEvent: 60, recordsPerSecondPerConsumer: 15_000, source: 'scorer file' };
const featureJob = { microsecondsPerEvent: 120, recordsPerSecondPerConsumer: 8_000, source: 'feature job file' };

describe('capacity table', () => {
  it('sizes partitions by the slowest stage per consumer and cores by CPU per event, both with headroom', () => {
    const table = capacityTable({ scorer, featureJob, headroom: 2 });
    expect(table.rows).toEqual([
      // 10k × 2 = 20k/s: ⌈20k / 15k⌉ = 2 scorer processes, ⌈20k / 8k⌉ = 3 subtasks; 10k × 60 µs × 2 = 1.2 cores, × 120 µs × 2 = 2.4.
      { eventsPerSecond: 10_000, partitions: 3, scorerProcesses: 2, scorerCores: 1.2, featureJobParallelism: 3, featureJobCores: 2.4, totalCores: 4 },
      // 200k/s: ⌈13.3⌉ = 14 and 25.
      { eventsPerSecond: 100_000, partitions: 25, scorerProcesses: 14, scorerCores: 12, featureJobParallelism: 25, featureJobCores: 24, totalCores: 36 },
      // 2M/s: ⌈133.3⌉ = 134 and 250.
      { eventsPerSecond: 1_000_000, partitions: 250, scorerProcesses: 134, scorerCores: 120, featureJobParallelism: 250, featureJobCores: 240, totalCores: 360 },
    ]);
    expect(table.headroom).toBe(2);
    expect(table.assumptions).toBe(CAPACITY_ASSUMPTIONS);
    expect(table.assumptions.join(' ')).toMatch(/Kafka brokers, the schema registry, replication/);
  });

  it('without feature job figures sizes the scorer alone, rounding cores up to a tenth and the total to a whole core', () => {
    const table = capacityTable({ scorer: { microsecondsPerEvent: 45, recordsPerSecondPerConsumer: 16_797, source: 's' }, headroom: 1, targets: [10_000, 1_000_000] });
    expect(table.rows).toEqual([
      // 10k × 45 µs = 0.45 cores → 0.5; 10k < 16,797: one process, one partition.
      { eventsPerSecond: 10_000, partitions: 1, scorerProcesses: 1, scorerCores: 0.5, featureJobParallelism: null, featureJobCores: null, totalCores: 1 },
      // 1M / 16,797 = 59.5 → 60; 45 cores exactly.
      { eventsPerSecond: 1_000_000, partitions: 60, scorerProcesses: 60, scorerCores: 45, featureJobParallelism: null, featureJobCores: null, totalCores: 45 },
    ]);
    // 12,345 × 33 µs × 1.5 = 0.611 cores → 0.7.
    expect(capacityTable({ scorer: { ...scorer, microsecondsPerEvent: 33 }, headroom: 1.5, targets: [12_345] }).rows[0]!.scorerCores).toBe(0.7);
  });

  it('refuses a headroom below 1 and a figure that is not a positive number, naming where it came from', () => {
    expect(() => capacityTable({ scorer, headroom: 0.5 })).toThrow('headroom must be a number of at least 1, got 0.5');
    expect(() => capacityTable({ scorer, featureJob: { ...featureJob, recordsPerSecondPerConsumer: Number.NaN }, headroom: 2 })).toThrow('featureJob.recordsPerSecondPerConsumer must be a positive number, got NaN (from feature job file)');
    expect(() => capacityTable({ scorer: { ...scorer, microsecondsPerEvent: 0 }, headroom: 2 })).toThrow('scorer.microsecondsPerEvent must be a positive number, got 0 (from scorer file)');
  });

  it('prints the feature job columns only when it was measured', () => {
    expect(capacityMarkdown(capacityTable({ scorer, featureJob, headroom: 2, targets: [10_000] }))).toBe(
      '| events/s | partitions | scorer processes | scorer cores | feature job parallelism | feature job cores | cores in all |\n| --- | --- | --- | --- | --- | --- | --- |\n| 10,000 | 3 | 2 | 1.2 | 3 | 2.4 | 4 |',
    );
    expect(capacityMarkdown(capacityTable({ scorer, headroom: 2, targets: [1_000_000] }))).toBe('| events/s | partitions | scorer processes | scorer cores |\n| --- | --- | --- | --- |\n| 1,000,000 | 134 | 134 | 120 |');
  });
});
