/**
 * Tributary's custom Temporal search attributes: they make every run findable in the
 * Temporal UI and through `client.workflow.list({ query })` by model, version, stage and
 * Flink job. Pure data with no I/O, so workflow code (inside the sandbox) and Node code
 * (clients, the stack that registers the attributes) import the same keys. It sits in a folder
 * of its own, below all of them, so the stack and the Flink client need not import workflow code.
 *
 * The keys come from `@temporalio/common`, the package `@temporalio/workflow` and
 * `@temporalio/client` both build on; `@temporalio/workflow` does not re-export them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The model a run trains, evaluates, rolls out or monitors, e.g. `churn`. */
export const TributaryModelName = defineSearchAttributeKey('TributaryModelName', SearchAttributeType.KEYWORD);

/** The registry version a run produces or deploys, e.g. `7`. */
export const TributaryModelVersion = defineSearchAttributeKey('TributaryModelVersion', SearchAttributeType.KEYWORD);

/** Where the run is in the model's life cycle, e.g. `training`, `rollout`, `promoted`. */
export const TributaryStage = defineSearchAttributeKey('TributaryStage', SearchAttributeType.KEYWORD);

/** The Flink job a deployment run upgrades, e.g. `churn-features`. */
export const TributaryFlinkJob = defineSearchAttributeKey('TributaryFlinkJob', SearchAttributeType.KEYWORD);

/** The champion version a rollout compares against (and, once promoted, the challenger that replaced it). */
export const TributaryChampionVersion = defineSearchAttributeKey('TributaryChampionVersion', SearchAttributeType.INT);

/** The challenger version a rollout puts on live traffic. */
export const TributaryChallengerVersion = defineSearchAttributeKey('TributaryChallengerVersion', SearchAttributeType.INT);

/** A search attribute as the Temporal server registers it: `--search-attribute <name>=<type>`. */
export interface SearchAttributeRegistration {
  readonly name: string;
  /** The server's spelling of the type, as the dev server's flag and `temporal operator search-attribute create` take it. */
  readonly type: 'Keyword' | 'Int';
}

/**
 * The server's spelling of each type this project uses; a key of any other type fails to
 * compile below until its spelling is added here and to {@link SearchAttributeRegistration}.
 */
const SERVER_TYPE_NAMES = { [SearchAttributeType.KEYWORD]: 'Keyword', [SearchAttributeType.INT]: 'Int' } as const;

/** Every custom search attribute, for registration with a Temporal server before workflows use them. */
export const TRIBUTARY_SEARCH_ATTRIBUTES: readonly SearchAttributeRegistration[] = [
  TributaryModelName,
  TributaryModelVersion,
  TributaryStage,
  TributaryFlinkJob,
  TributaryChampionVersion,
  TributaryChallengerVersion,
].map(({ name, type }) => ({ name, type: SERVER_TYPE_NAMES[type] }));
