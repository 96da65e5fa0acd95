/**
 * A registry held in memory, for unit and workflow tests: the same decisions and the same index as
 * the Kafka registry, with a store that applies each event as it is written.
 */
import { ArtifactNotFoundError } from './errors.js';
import { EventSourcedModelRegistry, type RegistryClockOptions, type RegistryStore } from './event-sourced-registry.js';
import type { RegistryEvent } from './registry-events.js';
import { RegistryIndex, type IndexedVersion } from './registry-index.js';

/** The artifact topic recorded by the in-memory registry, which keeps artifacts in a map. */
export const IN_MEMORY_ARTIFACT_TOPIC = 'in-memory';

class InMemoryRegistryStore implements RegistryStore {
  readonly index = new RegistryIndex();
  readonly artifactTopic = IN_MEMORY_ARTIFACT_TOPIC;
  /** Stored artifacts by key; tests may replace an entry to simulate corruption. */
  readonly artifacts = new Map<string, Uint8Array>();

  catchUp(): Promise<void> {
    return Promise.resolve();
  }

  write(_model: string, decide: () => RegistryEvent | undefined, artifact?: Uint8Array): Promise<RegistryEvent | undefined> {
    const event = decide();
    if (event === undefined) return Promise.resolve(undefined);
    this.index.apply(event);
    const registered = event.changes.find((change) => change.kind === 'version-registered');
    if (registered && artifact) this.artifacts.set(registered.version.artifact.key, Uint8Array.from(artifact));
    return Promise.resolve(event);
  }

  readArtifact({ version }: IndexedVersion): Promise<Uint8Array> {
    const bytes = this.artifacts.get(version.artifact.key);
    if (!bytes) return Promise.reject(new ArtifactNotFoundError(version.model, version.version, this.artifactTopic, version.artifact.key));
    return Promise.resolve(Uint8Array.from(bytes));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A {@link ModelRegistry} in process memory: nothing survives the process. */
export class InMemoryModelRegistry extends EventSourcedModelRegistry {
  private readonly memory: InMemoryRegistryStore;

  constructor(options: RegistryClockOptions = {}) {
    const store = new InMemoryRegistryStore();
    super(store, options);
    this.memory = store;
  }

  /** Replaces the stored bytes of an artifact, as a corrupted or tampered store would. */
  overwriteArtifactBytes(model: string, version: number, bytes: Uint8Array): void {
    this.memory.artifacts.set(this.memory.index.indexedVersion(model, version).version.artifact.key, Uint8Array.from(bytes));
  }
}
