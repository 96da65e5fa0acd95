/**
 * Follows one model's record on the deployments topic and keeps the served models current: each
 * deployment, in revision order, is loaded and warmed off the hot path and swapped in between
 * chunks (served-models.ts). A load that may work next time (a registry read timed out) is tried
 * again with backoff while its revision is still the latest; otherwise the previous models keep
 * serving. Once a deployment is served, the worker is told so it can consume its features topic.
 */
import { reasonOf } from '../errors/tributary-error.js';
import type { DeploymentLog, DeploymentSubscription } from './deployment-log.js';
import { describeDeployment, type ModelDeployment } from './model-deployment.js';
import type { Backoff } from './retry-backoff.js';
import type { ScorerMetrics } from './scorer-metrics.js';
import type { ServedModels, ServingSnapshot } from './served-models.js';

export interface DeploymentFollowerDependencies {
  readonly deployments: Pick<DeploymentLog, 'follow' | 'latest'>;
  readonly servedModels: Pick<ServedModels, 'apply' | 'current'>;
  readonly metrics: Pick<ScorerMetrics, 'swaps' | 'swapDuration' | 'swapFailures' | 'modelInfo'>;
  readonly log: (line: string) => void;
  readonly backoff: Backoff;
  /** Whether the worker consumes a features topic now; a deployment without a champion then keeps it consuming (its records are dead-lettered NO_CHAMPION). */
  readonly consuming: () => boolean;
  /** Called after each deployment applied while the worker runs, with the deployment now served. */
  readonly serve: (deployment: ModelDeployment) => Promise<void>;
}

export class DeploymentFollower {
  private subscription: DeploymentSubscription | undefined;
  private waitingLogged = false;

  constructor(
    private readonly dependencies: DeploymentFollowerDependencies,
    private readonly model: string,
  ) {}

  /** Subscribes to the model's deployments; says once that it waits when the model has no champion yet. */
  async start(): Promise<void> {
    const { deployments, log } = this.dependencies;
    const model = this.model;
    this.subscription = await deployments.follow(
      model,
      (deployment) => this.onDeployment(deployment),
      (error) => log(`applying a deployment of ${model} failed: ${reasonOf(error)}`),
    );
    if ((await deployments.latest(model))?.champion == null) this.logWaiting();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Called one deployment at a time, in revision order: swap the models, then let the worker follow the features topic. */
  private async onDeployment(deployment: ModelDeployment): Promise<void> {
    const { servedModels, backoff, log } = this.dependencies;
    if (backoff.stopped) return;
    log(`deployment ${describeDeployment(deployment)} by ${deployment.updatedBy}: ${deployment.reason}`);
    await this.apply(deployment);
    const snapshot = servedModels.current();
    this.showModels(snapshot);
    if (backoff.stopped) return;
    if (snapshot?.champion === undefined && !this.dependencies.consuming()) {
      this.logWaiting();
      return;
    }
    if (snapshot !== undefined) await this.dependencies.serve(snapshot.deployment);
  }

  /** Swaps the deployment in, trying a retriable load failure again while the deployment is the latest. */
  private async apply(deployment: ModelDeployment): Promise<void> {
    const { metrics, servedModels, backoff, log } = this.dependencies;
    for (let attempt = 1; ; attempt += 1) {
      const timer = metrics.swapDuration.startTimer();
      const outcome = await servedModels.apply(deployment);
      timer();
      metrics.swaps.inc({ outcome: outcome.kind });
      if (outcome.kind === 'swapped') {
        log(`serving revision ${outcome.revision}${outcome.loaded.length > 0 ? ` (loaded v${outcome.loaded.join(', v')})` : ''} after ${Math.round(outcome.durationMs)} ms`);
      }
      if (outcome.kind !== 'failed') return;
      const role = outcome.error.version === deployment.challenger?.version ? 'challenger' : 'champion';
      metrics.swapFailures.inc({ role });
      const serving = servedModels.current();
      const keeping = serving ? `still serving revision ${serving.deployment.revision}` : 'nothing is served yet';
      const retry = outcome.error.retriable && !backoff.stopped && (await this.isLatest(deployment));
      const delay = backoff.delay(attempt);
      log(`${outcome.error.message}; ${keeping}${retry ? `; trying again in ${delay} ms` : ''}`);
      if (!retry) return;
      await backoff.wait(delay);
    }
  }

  private async isLatest(deployment: ModelDeployment): Promise<boolean> {
    try {
      return (await this.dependencies.deployments.latest(deployment.model))?.revision === deployment.revision;
    } catch {
      // The deployments topic cannot be read either: keep trying the revision we have.
      return true;
    }
  }

  private showModels(snapshot: ServingSnapshot | undefined): void {
    const { modelInfo } = this.dependencies.metrics;
    modelInfo.reset();
    if (snapshot === undefined) return;
    const revision = String(snapshot.deployment.revision);
    for (const [role, served] of [['champion', snapshot.champion], ['challenger', snapshot.challenger]] as const) {
      if (served !== undefined) modelInfo.set({ model: served.model, role, version: String(served.version), revision }, 1);
    }
  }

  private logWaiting(): void {
    if (this.waitingLogged) return;
    this.waitingLogged = true;
    this.dependencies.log(`waiting: ${this.model} has no deployment with a champion yet (publish one, e.g. through a rollout)`);
  }
}
