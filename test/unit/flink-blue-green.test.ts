import { describe, expect, it } from 'vitest';
import { compileCatchUpOptions, judgeCatchUp, outputHandoff, versionedTopicName } from '../../src/flink/blue-green.js';
import type { FlinkJobSpec } from '../../src/flink/deployment-spec.js';

const spec = (version: string, outputs: string[]): FlinkJobSpec => ({
  jobName: 'feature-job',
  version,
  jarPath: '/jars/job.jar',
  entryClass: 'Main',
  programArgs: [],
  observedTopics: { inputs: ['tributary.transactions'], outputs },
});

describe('outputHandoff', () => {
  it('names the one output the new version replaces', () => {
    expect(outputHandoff(spec('v1', ['tributary.features']), spec('v2', ['tributary.features.v2']))).toEqual({ previousTopic: 'tributary.features', newTopic: 'tributary.features.v2' });
  });

  it('ignores outputs both versions share', () => {
    expect(outputHandoff(spec('v1', ['dlq', 'features']), spec('v2', ['dlq', 'features.v2']))).toEqual({ previousTopic: 'features', newTopic: 'features.v2' });
  });

  it('refuses the same topic, several moved topics, and specs without outputs, naming both lists', () => {
    expect(outputHandoff(spec('v1', ['features']), spec('v2', ['features']))).toEqual({ problem: expect.stringMatching(/^a blue\/green upgrade writes one output to a new topic beside the old one, but v1 writes \[features\] and v2 writes \[features\]/) });
    expect(outputHandoff(spec('v1', ['a', 'b']), spec('v2', ['c', 'd']))).toHaveProperty('problem');
    expect(outputHandoff({ ...spec('v1', []), observedTopics: undefined }, spec('v2', ['x']))).toHaveProperty('problem');
  });
});

describe('catch-up options and verdict', () => {
  it('fills defaults and names every bad value', () => {
    expect(compileCatchUpOptions()).toEqual({ maxBacklogRecords: 1_000, timeoutMs: 120_000, sampleIntervalMs: 1_000 });
    expect(compileCatchUpOptions({ maxBacklogRecords: 0 }).maxBacklogRecords).toBe(0);
    expect(() => compileCatchUpOptions({ maxBacklogRecords: -1, timeoutMs: 0, sampleIntervalMs: 1.5 })).toThrow(
      'invalid catch-up options: maxBacklogRecords=-1: expected a whole number >= 0; timeoutMs=0: expected a whole number >= 1; sampleIntervalMs=1.5: expected a whole number >= 1',
    );
  });

  it('is caught up at or below the threshold, and says why not otherwise', () => {
    const options = compileCatchUpOptions({ maxBacklogRecords: 100 });
    expect(judgeCatchUp(100, 500, options)).toEqual({ caughtUp: true, backlogRecords: 100, waitedMs: 500, problem: undefined });
    expect(judgeCatchUp(101, 500, options)).toEqual({ caughtUp: false, backlogRecords: 101, waitedMs: 500, problem: "the job's sources still had 101 record(s) to read after 500 ms; at most 100 allowed" });
    expect(judgeCatchUp(undefined, 700, options).problem).toBe("the job's backlog stayed unknown for 700 ms (no Kafka source, or its pendingRecords had no value)");
  });
});

describe('versionedTopicName', () => {
  it('appends the version, replacing what Kafka refuses in a topic name', () => {
    expect(versionedTopicName('tributary.features', 'v2')).toBe('tributary.features.v2');
    expect(versionedTopicName('tributary.features', 'jar-1a2b/c d')).toBe('tributary.features.jar-1a2b-c-d');
    expect(() => versionedTopicName('t', 'x'.repeat(250))).toThrow(/longer than Kafka's 249 characters/);
  });
});
