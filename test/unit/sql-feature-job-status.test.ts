import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlinkRequestError } from '../../src/flink/errors.js';
import type { FlinkJobObservation } from '../../src/flink/flink-service.js';
import { describeSqlFeatureJobs } from '../../src/pipeline-apply/sql-feature-job-status.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

const definition = loadPipelineDefinition(fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url)));
const URL_ = 'http://flink:8081';
const started = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A cluster whose active jobs are `jobs`, by name. */
const cluster = (jobs: Record<string, FlinkJobObservation[]>) => ({ activeJobs: (name: string) => Promise.resolve(jobs[name] ?? []) });

describe('describeSqlFeatureJobs', () => {
  it('shows each job of the query and the label join as Flink reports it', async () => {
    const lines = await describeSqlFeatureJobs(definition, cluster({
      // Names on Flink carry the topic prefix; a job of the bare name is not this prefix's.
      'delivery-time-features': [{ jobId: 'd'.repeat(32), name: 'delivery-time-features', state: 'RUNNING', startTime: started }],
      'acme.delivery-time-features': [{ jobId: 'a'.repeat(32), name: 'delivery-time-features', state: 'RUNNING', startTime: started }],
      'acme.delivery-time-label-join': [
        { jobId: 'b'.repeat(32), name: 'delivery-time-label-join', state: 'RESTARTING', startTime: started + 1000 },
        { jobId: 'c'.repeat(32), name: 'delivery-time-label-join', state: 'RUNNING', startTime: started },
      ],
    }), { flinkUrl: URL_, live: true, prefix: 'acme.' });
    expect(lines).toEqual([
      `feature job delivery-time-features (sql): job ${'a'.repeat(32)} RUNNING since 2026-01-02T03:04:05.000Z`,
      `feature job delivery-time-label-join (sql): job ${'b'.repeat(32)} RESTARTING since 2026-01-02T03:04:06.000Z; job ${'c'.repeat(32)} RUNNING since 2026-01-02T03:04:05.000Z`,
    ]);
  });

  it('says a job that does not run is submitted by applying again, unless the pipeline is deleted', async () => {
    expect(await describeSqlFeatureJobs(definition, cluster({}), { flinkUrl: URL_, live: true, prefix: 'acme.' })).toEqual([
      `feature job delivery-time-features (sql): no job named acme.delivery-time-features runs on Flink at ${URL_}; applying the pipeline's file again submits it (\`tributary pipeline apply <file>\`)`,
      `feature job delivery-time-label-join (sql): no job named acme.delivery-time-label-join runs on Flink at ${URL_}; applying the pipeline's file again submits it (\`tributary pipeline apply <file>\`)`,
    ]);
    expect(await describeSqlFeatureJobs(definition, cluster({}), { flinkUrl: URL_, live: false, prefix: 'acme.' })).toEqual([
      `feature job delivery-time-features (sql): no job named acme.delivery-time-features runs on Flink at ${URL_}`,
      `feature job delivery-time-label-join (sql): no job named acme.delivery-time-label-join runs on Flink at ${URL_}`,
    ]);
  });

  it('says in a line when Flink cannot be asked', async () => {
    const unreachable = { activeJobs: () => Promise.reject(new FlinkRequestError('connect ECONNREFUSED', { method: 'GET', url: `${URL_}/jobs/overview` })) };
    expect(await describeSqlFeatureJobs(definition, unreachable, { flinkUrl: URL_, live: true, prefix: 'acme.' })).toEqual([
      `feature job delivery-time-features (sql): Flink at ${URL_} cannot be asked: GET ${URL_}/jobs/overview failed: connect ECONNREFUSED`,
      `feature job delivery-time-label-join (sql): Flink at ${URL_} cannot be asked: GET ${URL_}/jobs/overview failed: connect ECONNREFUSED`,
    ]);
  });
});
