import type { ModelAlias, ModelStage } from './model-registry.js';
import { TributaryError } from '../errors/tributary-error.js';

/** What a registry error is about; every field is optional because each error knows only part of it. */
export interface RegistryErrorContext {
  readonly model?: string;
  readonly version?: number;
  readonly stage?: ModelStage;
  readonly alias?: ModelAlias;
  /** Whether trying the same call again may succeed without a change by the caller. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base of every error the model registry throws; the message is what a person reads. */
export class RegistryError extends TributaryError {
  override readonly name: string = 'RegistryError';
  readonly model: string | undefined;
  readonly version: number | undefined;
  readonly stage: ModelStage | undefined;
  readonly alias: ModelAlias | undefined;

  constructor(message: string, context: RegistryErrorContext = {}) {
    super(message, context);
    this.model = context.model;
    this.version = context.version;
    this.stage = context.stage;
    this.alias = context.alias;
  }
}

const listed = (items: readonly (string | number)[]): string => (items.length === 0 ? 'none' : items.join(', '));

/** A model name the registry has no version of. */
export class ModelNotFoundError extends RegistryError {
  override readonly name = 'ModelNotFoundError';

  constructor(
    model: string,
    readonly knownModels: readonly string[],
  ) {
    super(`unknown model "${model}"; registered models: ${listed(knownModels)}`, { model });
  }
}

/** A version number a registered model does not have. */
export class VersionNotFoundError extends RegistryError {
  override readonly name = 'VersionNotFoundError';

  constructor(
    model: string,
    version: number,
    readonly knownVersions: readonly number[],
  ) {
    super(`model "${model}" has no version ${version}; its versions: ${listed(knownVersions)}`, { model, version });
  }
}

/** A model name that cannot key Kafka records and transactional ids unambiguously. */
export class InvalidModelNameError extends RegistryError {
  override readonly name = 'InvalidModelNameError';

  constructor(model: string) {
    super(`invalid model name ${JSON.stringify(model)}: use 1 to 100 letters, digits, '.', '_' or '-'`, { model });
  }
}

/** A registration whose input is unusable: every problem, one per line. */
export class InvalidRegistrationError extends RegistryError {
  override readonly name = 'InvalidRegistrationError';

  constructor(
    model: string,
    readonly problems: readonly string[],
  ) {
    super([`cannot register a version of ${model}:`].concat(problems.map((problem) => `  ${problem}`)).join('\n'), { model });
  }
}

/** A stage change the transition table does not allow. */
export class StageTransitionError extends RegistryError {
  override readonly name = 'StageTransitionError';

  constructor(
    model: string,
    version: number,
    readonly from: ModelStage,
    readonly to: ModelStage,
    readonly allowed: readonly ModelStage[],
    /** Why a transition the table lists is refused in this state; undefined when the table does not list it. */
    readonly condition?: string,
  ) {
    super(
      condition === undefined
        ? `cannot move ${model} version ${version} from ${from} to ${to}; allowed from ${from}: ${listed(allowed)}`
        : `cannot move ${model} version ${version} from ${from} to ${to}: ${condition}`,
      { model, version, stage: from },
    );
  }
}

/** Removing an alias that points at no version. */
export class AliasNotSetError extends RegistryError {
  override readonly name = 'AliasNotSetError';

  constructor(model: string, alias: ModelAlias) {
    super(`model "${model}" has no ${alias}; there is nothing to remove`, { model, alias });
  }
}

/**
 * Another writer changed the model between this writer's read and its append, so the change was
 * not applied (or the writer was fenced before it could commit). Retriable: read again, decide again.
 */
export class RegistryConflictError extends RegistryError {
  override readonly name = 'RegistryConflictError';

  constructor(model: string, reason: string, cause?: unknown) {
    super(`concurrent change to model "${model}": ${reason}; nothing of this change was applied, retry it`, { model, retriable: true, cause });
  }
}

/** The registry could not read its event log (or an artifact) up to the end offset in time. */
export class RegistryReadTimeoutError extends RegistryError {
  override readonly name = 'RegistryReadTimeoutError';

  constructor(
    readonly topic: string,
    readonly targetOffset: string,
    readonly reachedOffset: string,
    timeoutMs: number,
  ) {
    super(`reading ${topic} to offset ${targetOffset} timed out after ${timeoutMs} ms at offset ${reachedOffset}`, { retriable: true });
  }
}

/** Writing to or reading from the registry's Kafka topics failed. */
export class RegistryStorageError extends RegistryError {
  override readonly name = 'RegistryStorageError';

  constructor(action: string, reason: string, context: RegistryErrorContext = {}) {
    super(`${action} failed: ${reason}`, context);
  }
}

/** The artifact bytes of a registered version are not on the models topic. */
export class ArtifactNotFoundError extends RegistryError {
  override readonly name = 'ArtifactNotFoundError';

  constructor(model: string, version: number, topic: string, key: string) {
    super(`the artifact of ${model} version ${version} (key ${key}) is not on ${topic}`, { model, version });
  }
}

/** Artifact bytes whose sha256 is not the one recorded when the version was registered: corrupted or replaced. */
export class ArtifactIntegrityError extends RegistryError {
  override readonly name = 'ArtifactIntegrityError';

  constructor(
    readonly expectedSha256: string,
    readonly actualSha256: string,
    context: { readonly model?: string; readonly version?: number } = {},
  ) {
    const subject = context.model === undefined ? 'artifact' : `artifact of ${context.model} version ${context.version ?? '?'}`;
    super(`refusing ${subject}: its sha256 is ${actualSha256}, the registry recorded ${expectedSha256}`, context);
  }
}

/** Artifact bytes that do not parse as a model artifact, or were made for another feature vector layout. */
export class ArtifactFormatError extends RegistryError {
  override readonly name = 'ArtifactFormatError';

  constructor(problem: string, context: { readonly model?: string; readonly version?: number; readonly cause?: unknown } = {}) {
    super(`model artifact cannot be used: ${problem}`, context);
  }
}

/**
 * An artifact in a format this build does not load: format 1 held the fixed feature layout of
 * Tributary 0.1 and its normaliser, which the vectoriser replaced. Nothing is lost by refusing it:
 * the version stays in the registry, the scorer keeps serving what it serves, and a retrained
 * version of the same model carries its vectoriser in format 2.
 */
export class ArtifactFormatVersionError extends RegistryError {
  override readonly name = 'ArtifactFormatVersionError';

  constructor(
    readonly formatVersion: number,
    readonly loadedVersion: number,
    context: { readonly model?: string; readonly version?: number } = {},
  ) {
    const subject = context.model === undefined ? 'this model artifact' : `model ${context.model}${context.version === undefined ? '' : ` v${context.version}`}`;
    const retrain = context.model === undefined ? '`tributary train <model>`' : `\`tributary train ${context.model}\``;
    const what = formatVersion === 1 ? 'artifact format 1 (the fixed layout of Tributary 0.1)' : `artifact format ${formatVersion}`;
    super(
      `${subject} is ${what}; this version loads format ${loadedVersion} only: retrain it (${retrain}) and promote the new version; the scorer keeps the model it serves until then`,
      context,
    );
  }
}

/**
 * A model reads a feature the features topic's registered schema does not have, or has with a type
 * its vectoriser cannot read (or nullable where the model was fitted on a field that never was):
 * every record would be dead-lettered, so it is neither registered nor promoted.
 */
export class ModelInputMismatchError extends RegistryError {
  override readonly name = 'ModelInputMismatchError';

  constructor(
    readonly field: string,
    problem: string,
    context: { readonly model?: string; readonly version?: number } = {},
  ) {
    super(problem, context);
  }
}
