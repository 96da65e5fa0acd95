/**
 * How the activities report domain errors to Temporal: the failure type is the error's class
 * name, and `nonRetryable` follows the error's own `retriable` flag, so bad input fails at once
 * and transient trouble is retried by the activity's policy.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { reportingFailures, toApplicationFailure } from '../../src/activities/application-failure.js';
import { CandidateArtifactMissingError, createLocalCandidateArtifacts } from '../../src/activities/candidate-artifacts.js';
import { createExampleActivities } from '../../src/activities/example-activities.js';
import { createTrainingActivities } from '../../src/activities/training-activities.js';
import { OffsetRangeReadTimeoutError, OffsetRangeUnavailableError, OffsetSnapshotError } from '../../src/streaming/offset-range-reader.js';
import { SchemaRegistryUnreachableError } from '../../src/streaming/errors.js';
import { DatasetSplitError, FeatureValueError } from '../../src/training/errors.js';
import { InsufficientExamplesError, type ExampleSource } from '../../src/training/example-source.js';
import { fraudPipelineStore } from '../helpers/fraud-pipeline.js';

const RANGE = { topic: 'tributary.training-examples', partition: 0, fromOffset: '5', toOffset: '9' };
const COUNTS = { train: { examples: 7, positives: 0 }, validation: { examples: 2, positives: 1 }, test: { examples: 2, positives: 1 } };

function asFailure(error: unknown): ApplicationFailure {
  const failure = toApplicationFailure(error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

describe('toApplicationFailure', () => {
  it.each([
    ['InsufficientExamplesError', new InsufficientExamplesError(40, 1000, 2), true],
    ['DatasetSplitError', new DatasetSplitError('train', 'has no positive (fraud) label among its 7 examples', COUNTS), true],
    ['FeatureValueError', new FeatureValueError('t-1', 'amount', Number.NaN, 'a finite number'), true],
    ['OffsetRangeUnavailableError', new OffsetRangeUnavailableError(RANGE, 'offsets below 7 were deleted by retention'), true],
    ['CandidateArtifactMissingError', new CandidateArtifactMissingError('/tmp/x/candidate.json'), true],
    ['OffsetRangeReadTimeoutError', new OffsetRangeReadTimeoutError(RANGE.topic, 1000, [{ partition: 0, position: '6', toOffset: '9' }]), false],
    ['SchemaRegistryUnreachableError', new SchemaRegistryUnreachableError('http://127.0.0.1:8085', 'ECONNREFUSED'), false],
    ['OffsetSnapshotError', new OffsetSnapshotError(RANGE.topic, 'the topic does not exist', { retriable: false, cause: undefined }), true],
  ])('%s becomes a failure of that type, nonRetryable %s', (type, error, nonRetryable) => {
    const failure = asFailure(error);
    expect([failure.type, failure.nonRetryable, failure.message]).toEqual([type, nonRetryable, error.message]);
    expect(failure.cause).toBe(error);
  });

  it('carries the error context (topic, partition, offset) in the details', () => {
    const failure = asFailure(new OffsetRangeUnavailableError(RANGE, 'the committed data ends at 8'));
    expect(failure.details?.[0]).toMatchObject({ topic: RANGE.topic, partition: 0, offset: '5', retriable: false });
  });

  it('leaves an error that says nothing about retrying to the retry policy', () => {
    expect([asFailure(new Error('socket hang up')).type, asFailure(new Error('socket hang up')).nonRetryable]).toEqual(['Error', false]);
    expect(asFailure('a string').type).toBe('UnknownError');
  });

  it('passes Temporal failures through unchanged', () => {
    const cancelled = new CancelledFailure('cancelled');
    const explicit = ApplicationFailure.nonRetryable('explicit', 'Explicit');
    expect(toApplicationFailure(cancelled)).toBe(cancelled);
    expect(toApplicationFailure(explicit)).toBe(explicit);
  });

  it('wraps whatever an activity throws', async () => {
    const failing = reportingFailures(async () => {
      throw new InsufficientExamplesError(1, 2, 0);
    });
    await expect(failing()).rejects.toMatchObject({ type: 'InsufficientExamplesError', nonRetryable: true });
  });
});

describe('activities report domain errors as typed failures', () => {
  const source = (examples: number): ExampleSource => ({
    topic: RANGE.topic,
    snapshot: async () => [],
    read: async () => ({ examples: Array.from({ length: examples }), undecodable: [], schemaIds: [], featureJobVersions: [] }) as never,
  });

  it('buildDataset refuses too few examples as a non-retryable InsufficientExamplesError', async () => {
    const activities = createTrainingActivities({
      examples: source(3),
      registry: { resolveAlias: async () => undefined, loadArtifact: async () => new Uint8Array() },
      artifacts: createLocalCandidateArtifacts('/nonexistent'),
      pipelines: await fraudPipelineStore('fraud'),
    });
    const result = new MockActivityEnvironment().run(activities.buildDataset, { model: 'fraud', ranges: [RANGE], minExamples: 10 });
    await expect(result).rejects.toMatchObject({ type: 'InsufficientExamplesError', nonRetryable: true, message: expect.stringMatching(/hold 3 training examples/) });
  });

  it('snapshotTrainingExampleOffsets reports an unreachable cluster as retryable', async () => {
    const activities = createExampleActivities({
      pipelines: await fraudPipelineStore('fraud'),
      topicPrefix: 'tributary.',
      examples: {
        ...source(0),
        snapshot: async () => {
          throw new OffsetSnapshotError(RANGE.topic, 'Connection error: ECONNREFUSED', { retriable: true, cause: undefined });
        },
      },
    });
    await expect(new MockActivityEnvironment().run(activities.snapshotTrainingExampleOffsets)).rejects.toMatchObject({ type: 'OffsetSnapshotError', nonRetryable: false });
  });
});
