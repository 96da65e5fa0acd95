/**
 * The {@link ModelRegistry} behaviour both implementations share: decide an event against the
 * index, hand it to a store that appends it, answer reads from the index. Only the store differs
 * (Kafka, or memory), so the in-memory registry tests the same rules the Kafka one runs.
 */
import { randomUUID } from 'node:crypto';
import { sha256Hex } from './artifact-digest.js';
import { ArtifactIntegrityError, RegistryError } from './errors.js';
import { DEFAULT_MODEL_RUNTIME } from './model-runtime.js';
import type {
  AliasChange,
  ChangeAuthor,
  ModelAlias,
  ModelRegistry,
  ModelStage,
  ModelVersion,
  NewModelVersion,
  StageChange,
} from './model-registry.js';
import { decideAliasChange, decideRegistration, decideStageChange, type DecisionStamp } from './registry-decisions.js';
import type { RegistryEvent } from './registry-events.js';
import type { IndexedVersion, RefusedEvent, RegistryIndex } from './registry-index.js';

/** Where a registry's events and artifacts live. */
export interface RegistryStore {
  /** The index the store keeps up to date with every event it has read. */
  readonly index: RegistryIndex;
  /** Where artifact records go; recorded in each version's {@link ArtifactReference}. */
  readonly artifactTopic: string;
  /** Makes every event committed before the call visible in the index. */
  catchUp(): Promise<void>;
  /**
   * Runs `decide` as the only writer of `model`, on an index that is caught up, then appends the
   * event it returns (with `artifact` when given, atomically) and resolves once the index has
   * applied it. Resolves undefined when `decide` does. A concurrent writer's win becomes a
   * {@link RegistryConflictError}.
   */
  write(model: string, decide: () => RegistryEvent | undefined, artifact?: Uint8Array): Promise<RegistryEvent | undefined>;
  /** The stored artifact bytes of a version, unverified. */
  readArtifact(indexed: IndexedVersion): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface RegistryClockOptions {
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomUUID */
  readonly newEventId?: () => string;
}

export class EventSourcedModelRegistry implements ModelRegistry {
  private readonly now: () => Date;
  private readonly newEventId: () => string;

  constructor(
    protected readonly store: RegistryStore,
    options: RegistryClockOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.newEventId = options.newEventId ?? randomUUID;
  }

  async registerVersion(input: NewModelVersion, author: ChangeAuthor): Promise<ModelVersion> {
    const artifact = { sha256: sha256Hex(input.artifact), runtime: input.runtime ?? DEFAULT_MODEL_RUNTIME, sizeBytes: input.artifact.length, topic: this.store.artifactTopic };
    const event = await this.store.write(input.model, () => decideRegistration(this.store.index, input, artifact, author, this.stamp()), input.artifact);
    const registered = event?.changes[0];
    if (registered?.kind !== 'version-registered') throw new RegistryError(`registering a version of ${input.model} recorded no version`, { model: input.model });
    return this.store.index.indexedVersion(input.model, registered.version.version).version;
  }

  async listModels(): Promise<readonly string[]> {
    await this.store.catchUp();
    return this.store.index.modelNames();
  }

  async listVersions(model: string): Promise<readonly ModelVersion[]> {
    await this.store.catchUp();
    return this.store.index.versions(model);
  }

  async getVersion(model: string, version: number): Promise<ModelVersion> {
    await this.store.catchUp();
    return this.store.index.indexedVersion(model, version).version;
  }

  async resolveAlias(model: string, alias: ModelAlias): Promise<ModelVersion | undefined> {
    await this.store.catchUp();
    const version = this.store.index.aliasTarget(model, alias);
    return version === undefined ? undefined : this.store.index.indexedVersion(model, version).version;
  }

  async setStage(model: string, version: number, stage: ModelStage, author: ChangeAuthor): Promise<StageChange> {
    await this.store.write(model, () => decideStageChange(this.store.index, model, version, stage, author, this.stamp()));
    const change = this.store.index.history(model).reverse().find((entry): entry is StageChange => 'stage' in entry && entry.version === version && entry.stage === stage);
    if (!change) throw new RegistryError(`${model} version ${version} is ${stage} but no change to it is recorded`, { model, version, stage });
    return change;
  }

  async setAlias(model: string, alias: ModelAlias, version: number | null, author: ChangeAuthor): Promise<AliasChange> {
    await this.store.write(model, () => decideAliasChange(this.store.index, model, alias, version, author, this.stamp()));
    const change = this.store.index.history(model).reverse().find((entry): entry is AliasChange => 'alias' in entry && entry.alias === alias);
    if (!change) throw new RegistryError(`the ${alias} of ${model} has no recorded change`, { model, alias });
    return change;
  }

  async history(model: string): Promise<readonly (AliasChange | StageChange)[]> {
    await this.store.catchUp();
    return this.store.index.history(model);
  }

  /** Throws {@link ArtifactIntegrityError} when the stored bytes' sha256 is not the recorded one. */
  async loadArtifact(model: string, version: number): Promise<Uint8Array> {
    await this.store.catchUp();
    const indexed = this.store.index.indexedVersion(model, version);
    const bytes = await this.store.readArtifact(indexed);
    const actual = sha256Hex(bytes);
    if (actual !== indexed.version.artifact.sha256) throw new ArtifactIntegrityError(indexed.version.artifact.sha256, actual, { model, version });
    return bytes;
  }

  /** Log entries this registry's index did not apply (conflicting or undecodable), for a person to look at. */
  async refusedEvents(): Promise<readonly RefusedEvent[]> {
    await this.store.catchUp();
    return this.store.index.refused();
  }

  /** Releases the store's connections. */
  close(): Promise<void> {
    return this.store.close();
  }

  private stamp(): DecisionStamp {
    return { eventId: this.newEventId(), at: this.now().toISOString() };
  }
}
