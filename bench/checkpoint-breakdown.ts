/**
 * Where a running Flink job's checkpoints spend their time, operator by operator, from Flink's
 * REST API (checkpoint details per subtask): start delay (barrier travel), alignment, the
 * synchronous part and the asynchronous part (writing the state snapshot), and the state size
 * each operator wrote. The exactly-once sinks make output visible when a checkpoint completes, so
 * this is what the features' wait for visibility is made of. Run it beside a bench that keeps the
 * job busy; it prints one JSON document with the medians per operator over the last checkpoints.
 *
 *   npx tsx bench/latency.bench.ts --modes exactly-once --rates 1000 --no-baseline &
 *   sleep 60 && npx tsx bench/checkpoint-breakdown.ts [--job <job id>] [--checkpoints 10]
 *
 * Without --job it takes the one RUNNING job of the local stack and refuses when there are more.
 */
import { parseArgs } from 'node:util';
import axios from 'axios';
import { loadConfig } from '../src/config/config.js';

const REQUEST_TIMEOUT_MS = 10_000;

interface JobOverview {
  readonly jid: string;
  readonly name: string;
  readonly state: string;
}
interface CheckpointSummary {
  readonly id: number;
  readonly status: string;
  readonly is_savepoint: boolean;
  readonly end_to_end_duration: number;
  readonly checkpointed_size: number;
}
interface SubtaskCheckpoint {
  readonly end_to_end_duration: number;
  readonly start_delay: number;
  readonly checkpointed_size: number;
  readonly checkpoint: { readonly sync: number; readonly async: number };
  readonly alignment: { readonly duration: number };
}

interface OperatorFigures {
  readonly endToEndMs: number;
  readonly startDelayMs: number;
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
  readonly stateBytes: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { job: { type: 'string' }, checkpoints: { type: 'string', default: '10' } } });
  const count = Number(values.checkpoints);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--checkpoints must be a whole number above 0, got '${values.checkpoints}'`);
  const rest = axios.create({ baseURL: loadConfig().flink.restUrl, timeout: REQUEST_TIMEOUT_MS });
  const get = async <T>(path: string): Promise<T> => (await rest.get<T>(path)).data;

  const jobId = values.job ?? (await theRunningJob(get));
  const { history } = await get<{ history: CheckpointSummary[] }>(`/jobs/${jobId}/checkpoints`);
  const completed = history.filter((checkpoint) => checkpoint.status === 'COMPLETED' && !checkpoint.is_savepoint).slice(0, count);
  if (completed.length === 0) throw new Error(`job ${jobId} has no completed checkpoint yet`);
  const { plan } = await get<{ plan: { nodes: { id: string; description: string }[] } }>(`/jobs/${jobId}/plan`);
  const nameOf = new Map(plan.nodes.map((node) => [node.id, node.description.replace(/<br\/>/g, ' ').replace(/\s+/g, ' ').trim()]));

  const byOperator = new Map<string, OperatorFigures[]>();
  for (const checkpoint of completed) {
    const { tasks } = await get<{ tasks: Record<string, unknown> }>(`/jobs/${jobId}/checkpoints/details/${checkpoint.id}`);
    for (const vertex of Object.keys(tasks)) {
      const { subtasks } = await get<{ subtasks: SubtaskCheckpoint[] }>(`/jobs/${jobId}/checkpoints/details/${checkpoint.id}/subtasks/${vertex}`);
      const figures = byOperator.get(vertex) ?? [];
      for (const subtask of subtasks) {
        figures.push({
          endToEndMs: subtask.end_to_end_duration,
          startDelayMs: subtask.start_delay,
          alignmentMs: subtask.alignment.duration,
          syncMs: subtask.checkpoint.sync,
          asyncMs: subtask.checkpoint.async,
          stateBytes: subtask.checkpointed_size,
        });
      }
      byOperator.set(vertex, figures);
    }
  }

  const operators = [...byOperator].map(([vertex, figures]) => ({
    operator: nameOf.get(vertex) ?? vertex,
    subtaskCheckpoints: figures.length,
    medians: Object.fromEntries((Object.keys(figures[0]!) as (keyof OperatorFigures)[]).map((key) => [key, median(figures.map((figure) => figure[key]))])),
  }));
  const result = {
    benchmark: 'checkpoint-breakdown',
    jobId,
    checkpoints: completed.map((checkpoint) => checkpoint.id),
    endToEndMs: { median: median(completed.map((checkpoint) => checkpoint.end_to_end_duration)), max: Math.max(...completed.map((checkpoint) => checkpoint.end_to_end_duration)) },
    stateBytes: { median: median(completed.map((checkpoint) => checkpoint.checkpointed_size)) },
    operators,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function theRunningJob(get: <T>(path: string) => Promise<T>): Promise<string> {
  const { jobs } = await get<{ jobs: JobOverview[] }>('/jobs/overview');
  const running = jobs.filter((job) => job.state === 'RUNNING');
  if (running.length !== 1) throw new Error(`expected one RUNNING job, found ${running.length}${running.length > 1 ? `: ${running.map((job) => `${job.jid} (${job.name})`).join(', ')}; name one with --job` : ''}`);
  return running[0]!.jid;
}

main().catch((error: unknown) => {
  process.stderr.write(`checkpoint-breakdown: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
