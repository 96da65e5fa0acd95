/**
 * What the scoring worker serves, and the hot swap between deployments. New versions are loaded
 * and warmed up before the swap, outside any batch; the swap itself only replaces a reference, so
 * a batch never waits for a model to load. Batches hold a lease on the snapshot they score with,
 * and a model leaves memory only when neither the current snapshot nor any lease uses it.
 */
import { reasonOf, TributaryError } from '../errors/tributary-error.js';
import { DeploymentModelMismatchError, ModelLoadError, NothingServedError, ServedModelsClosedError } from './errors.js';
import type { ModelDeployment, ServedModel } from './model-deployment.js';
import type { ScoringModel } from './scoring-model.js';

/** The deployment in force and the models it names, ready to score. */
export interface ServingSnapshot {
  readonly deployment: ModelDeployment;
  /** Undefined when the deployment has no champion: every record is then rejected as NO_CHAMPION. */
  readonly champion: ScoringModel | undefined;
  readonly challenger: ScoringModel | undefined;
}

/** A batch's hold on a snapshot: its models stay usable until release(). */
export interface Lease {
  readonly snapshot: ServingSnapshot;
  /** Gives the snapshot back; calling it again does nothing. */
  release(): void;
}

export type SwapOutcome =
  /** The deployment now serves; `loaded` lists the versions loaded for it (the others were already loaded). */
  | { kind: 'swapped'; revision: number; durationMs: number; loaded: readonly number[] }
  /** The revision is not above the one served, so nothing changed. */
  | { kind: 'unchanged'; revision: number }
  /** A version of the deployment did not load or warm up; the previous snapshot keeps serving. */
  | { kind: 'failed'; revision: number; error: ModelLoadError };

/** Loads and warms up one version of a model (e.g. {@link loadScoringModel} bound to a registry). */
export type ScoringModelLoader = (model: string, served: ServedModel) => Promise<ScoringModel>;

/**
 * Holds what the worker serves. apply() loads and warms new versions OFF the hot path (reusing
 * versions already loaded), then swaps the snapshot atomically; batches hold a Lease, and a
 * replaced model is disposed only when no lease uses it. A version that fails to load/warm is
 * never swapped in: the previous snapshot keeps serving, outcome 'failed' reports why. Revisions
 * not above the current one are ignored ('unchanged'). Concurrent apply() calls are serialised.
 */
export class ServedModels {
  private snapshot: ServingSnapshot | undefined;
  /** How many holders (the current snapshot, each lease) use each loaded model. */
  private readonly holders = new Map<ScoringModel, number>();
  private leasesHeld = 0;
  /** The tail of the apply() queue; never rejects. */
  private applying: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  constructor(private readonly load: ScoringModelLoader) {}

  apply(deployment: ModelDeployment): Promise<SwapOutcome> {
    const outcome = this.applying.then(() => this.applyNow(deployment));
    this.applying = outcome.catch(() => undefined);
    return outcome;
  }

  /**
   * What the next batch uses. Throws {@link NothingServedError} before the first deployment was
   * applied (the worker should not consume before then: it does not even know its features topic),
   * and {@link ServedModelsClosedError} after close().
   */
  acquire(): Lease {
    if (this.closing !== undefined) throw new ServedModelsClosedError('acquire a lease');
    const snapshot = this.snapshot;
    if (snapshot === undefined) throw new NothingServedError();
    this.hold(snapshot);
    this.leasesHeld += 1;
    let released = false;
    return {
      snapshot,
      release: () => {
        if (released) return;
        released = true;
        this.leasesHeld -= 1;
        this.letGo(snapshot);
        this.finishClosingIfIdle();
      },
    };
  }

  current(): ServingSnapshot | undefined {
    return this.snapshot;
  }

  /** Refuses new leases and deployments, waits for an apply() in progress, and disposes everything once no lease is held. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await this.applying;
    const closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    if (this.snapshot !== undefined) this.letGo(this.snapshot);
    this.snapshot = undefined;
    this.finishClosingIfIdle();
    await closed;
  }

  private finishClosingIfIdle(): void {
    if (this.resolveClosed !== undefined && this.leasesHeld === 0) this.resolveClosed();
  }

  private async applyNow(deployment: ModelDeployment): Promise<SwapOutcome> {
    if (this.closing !== undefined) throw new ServedModelsClosedError(`apply revision ${deployment.revision} of ${deployment.model}`);
    const served = this.snapshot;
    if (served !== undefined && served.deployment.model !== deployment.model) {
      throw new DeploymentModelMismatchError(served.deployment.model, deployment.model);
    }
    if (served !== undefined && deployment.revision <= served.deployment.revision) return { kind: 'unchanged', revision: deployment.revision };
    const started = performance.now();
    const loaded: ScoringModel[] = [];
    const ready = async (wanted: ServedModel | null): Promise<ScoringModel | undefined> => {
      if (wanted === null) return undefined;
      const reusable = this.loadedModel(wanted);
      if (reusable !== undefined) return reusable;
      try {
        const fresh = await this.load(deployment.model, wanted);
        loaded.push(fresh);
        return fresh;
      } catch (error) {
        throw asModelLoadError(error, deployment.model, wanted.version);
      }
    };
    let next: ServingSnapshot;
    try {
      next = { deployment, champion: await ready(deployment.champion), challenger: await ready(deployment.challenger) };
    } catch (error) {
      for (const model of loaded) model.dispose();
      // ready() wraps whatever a load throws in a ModelLoadError.
      return { kind: 'failed', revision: deployment.revision, error: error as ModelLoadError };
    }
    this.hold(next);
    this.snapshot = next;
    if (served !== undefined) this.letGo(served);
    return { kind: 'swapped', revision: deployment.revision, durationMs: performance.now() - started, loaded: loaded.map((model) => model.version) };
  }

  /** The model of the current snapshot that is exactly `wanted` (same version and artifact), if any. */
  private loadedModel(wanted: ServedModel): ScoringModel | undefined {
    const candidates = [this.snapshot?.champion, this.snapshot?.challenger];
    return candidates.find((model) => model !== undefined && model.version === wanted.version && model.sha256 === wanted.sha256);
  }

  private hold(snapshot: ServingSnapshot): void {
    for (const model of modelsOf(snapshot)) this.holders.set(model, (this.holders.get(model) ?? 0) + 1);
  }

  private letGo(snapshot: ServingSnapshot): void {
    for (const model of modelsOf(snapshot)) {
      const remaining = (this.holders.get(model) ?? 0) - 1;
      if (remaining > 0) {
        this.holders.set(model, remaining);
        continue;
      }
      this.holders.delete(model);
      model.dispose();
    }
  }
}

function modelsOf(snapshot: ServingSnapshot): ScoringModel[] {
  return [snapshot.champion, snapshot.challenger].filter((model): model is ScoringModel => model !== undefined);
}

/** A loader should throw ModelLoadError; anything else it throws is wrapped in one naming the version being loaded. */
function asModelLoadError(error: unknown, model: string, version: number): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  return new ModelLoadError(model, version, reasonOf(error), { retriable: error instanceof TributaryError && error.retriable, cause: error });
}
