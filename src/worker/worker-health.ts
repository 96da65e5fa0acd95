/**
 * What the worker's /healthz and /readyz answer (served by src/serving/health-server.ts).
 *
 * Liveness: every Temporal worker of the process is starting, running or shutting down
 * gracefully; one that FAILED or STOPPED polls nothing again, so restarting the process is the
 * cure. Readiness: every worker is RUNNING (it polls its task queue) and the Temporal frontend
 * answers its gRPC health check now, since a worker whose server is gone stays RUNNING while its
 * polls fail and retry.
 *
 * Readiness leaves out Kafka (the pipeline store, the deployments topic) and the Schema
 * Registry on purpose: the worker takes no traffic from a Service, it pulls tasks, and an
 * activity that cannot reach Kafka fails and is retried by Temporal under its retry policy while
 * the workflows keep their state and timers. Marking the worker unready would stop nothing and
 * would only block a rollout or a PodDisruptionBudget during a Kafka outage the activities ride out.
 */
import type { State } from '@temporalio/worker';
import type { Liveness, Readiness } from '../serving/health-server.js';
import { reasonOf } from '../errors/tributary-error.js';

/** The part of an SDK `Worker` the probes read, so tests pass a fake with a chosen state. */
export interface ProbedWorker {
  getState(): State;
  readonly options: { readonly taskQueue: string };
}

/** Resolves when the Temporal server answers that it serves; rejects (or resolves false) otherwise, within a bounded time. */
export type TemporalPing = () => Promise<boolean>;

/** States from which the worker never polls again: the process must be restarted. */
const DEAD: ReadonlySet<State> = new Set<State>(['FAILED', 'STOPPED']);

export class WorkerHealth {
  private watched: { readonly workers: readonly ProbedWorker[]; readonly ping: TemporalPing } | undefined;

  /** @param temporal where the worker connects, named in the answers ("127.0.0.1:7233 (namespace default)"). */
  constructor(private readonly temporal: string) {}

  /** Called once connected and the workers are created (before they run); until then the process is connecting. */
  watch(workers: readonly ProbedWorker[], ping: TemporalPing): void {
    this.watched = { workers, ping };
  }

  liveness(): Liveness {
    if (this.watched === undefined) return { alive: true, reason: `starting: connecting to Temporal at ${this.temporal}` };
    const { workers } = this.watched;
    const dead = workers.filter((worker) => DEAD.has(worker.getState()));
    if (dead.length > 0) return { alive: false, reason: `${describe(dead)}: it polls no more; restart the process` };
    return { alive: true, reason: `workers ${describe(workers)}` };
  }

  async readiness(): Promise<Readiness> {
    if (this.watched === undefined) return { ready: false, reason: `connecting to Temporal at ${this.temporal}` };
    const { workers, ping } = this.watched;
    const idle = workers.filter((worker) => worker.getState() !== 'RUNNING');
    if (idle.length > 0) return { ready: false, reason: `not polling: ${describe(idle)}` };
    let serving: boolean;
    try {
      serving = await ping();
    } catch (error) {
      return { ready: false, reason: `Temporal at ${this.temporal} does not answer its health check: ${reasonOf(error)}` };
    }
    if (!serving) return { ready: false, reason: `Temporal at ${this.temporal} answers that it does not serve` };
    return { ready: true, reason: `polling task queues ${workers.map((worker) => worker.options.taskQueue).join(', ')} on ${this.temporal}` };
  }
}

function describe(workers: readonly ProbedWorker[]): string {
  return workers.map((worker) => `${worker.options.taskQueue} ${worker.getState()}`).join(', ');
}
