/** Flink jobs of the session cluster with their state and last completed checkpoint. */
import { FlinkRestClient } from '../flink/flink-rest-client.js';

export interface FlinkJobRow {
  readonly name: string;
  readonly jobId: string;
  readonly state: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly lastCheckpoint: { readonly id: number; readonly completedAt: number; readonly durationMs: number } | null;
  readonly failedCheckpoints: number;
}

/** Running jobs first, then the five most recent others. */
export async function flinkJobs(restUrl: string, requestTimeoutMs: number): Promise<FlinkJobRow[]> {
  const client = new FlinkRestClient({ baseUrl: restUrl, requestTimeoutMs, retries: 0 });
  const jobs = await client.listJobs();
  const running = jobs.filter((job) => job.state === 'RUNNING');
  const others = jobs.filter((job) => job.state !== 'RUNNING').sort((a, b) => b['start-time'] - a['start-time']).slice(0, 5);
  return Promise.all(
    [...running, ...others].map(async (job): Promise<FlinkJobRow> => {
      const checkpoints = job.state === 'RUNNING' ? await client.checkpoints(job.jid) : undefined;
      const completed = checkpoints?.latest.completed ?? null;
      return {
        name: job.name,
        jobId: job.jid,
        state: job.state,
        startedAt: job['start-time'],
        lastCheckpoint: completed === null ? null : { id: completed.id, completedAt: completed.latest_ack_timestamp, durationMs: completed.end_to_end_duration },
        failedCheckpoints: checkpoints?.counts.failed ?? 0,
      };
    }),
  );
}
