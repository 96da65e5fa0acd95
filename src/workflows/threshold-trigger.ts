/**
 * thresholdTrigger: the sensor that starts retraining when enough new labelled examples have
 * arrived. Unlike a message-at-a-time sensor it looks at offsets: every poll snapshots the end
 * offsets (last stable offsets) of the pipeline's own training-examples topic and compares them
 * with the offsets of the last training it started. When the new offsets reach the threshold and the cooldown has passed,
 * it counts the new range exactly (examples and positive labels, aborted records and markers
 * excluded) and, when that confirms, starts `trainingPipeline` as an abandoned child on the
 * pinned snapshot. The offsets become "used" only when the child has started, and the child
 * records them as lineage: nothing is marked done before the work that uses it exists.
 *
 * The child trains on everything retained (each partition from its log start), and its
 * operating-point gate refuses a test split with fewer positive examples than
 * `gates.minTestPositives`. So the trigger also waits until that whole window holds the positive
 * examples its test split needs ({@link windowPositivesForTestSplit}: 264 for the defaults, 30 in
 * a 15 % test split), so a training it starts meets the gate's minimum with 95 % probability (if
 * positives were spread evenly in time) instead of being refused for too few. The split is the one the
 * training will cut: the trigger's own settings' when they name one, else the pipeline
 * definition's `model.split`, which every count reports as the revision it read says.
 *
 * A regression pipeline (its count reports the definition's task) has no positive labels: the
 * trigger starts its training on the example threshold and cooldown alone.
 *
 * Polls sleep on durable timers; a signal wakes the loop at once. The run continues as new
 * after `pollsPerRun` polls (or when Temporal suggests it), carrying its state. The `stop` signal
 * ends it: after the poll in progress, if any, the workflow completes with its last state.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ExampleActivities, ExampleCount } from '../activities/example-activities.js';
import type { OffsetRange } from '../registry/model-registry.js';
import type { PartitionEndOffset } from '../streaming/offset-range-reader.js';
import { DEFAULT_SPLIT_FRACTIONS } from '../training/dataset-split.js';
import { windowPositivesForTestSplit } from '../training/test-split-positives.js';
import { TributaryModelName } from '../temporal/search-attributes.js';
import type { StopRequest } from './stop-request.js';
import { DEFAULT_GATES, trainingPipeline, type TrainingPipelineInput } from './training-pipeline.js';
import { modelNameProblem, pipelineSettingsProblems } from './training-pipeline-input.js';

/** How the trigger decides; every field but `threshold` may be left out. */
export interface ThresholdTriggerOptions {
  /** New examples since the last training that start the next one. */
  readonly threshold: number;
  /**
   * New positive labels also required. Independently of it, a training starts only once
   * everything it trains on holds the positive examples its test split needs (see the module comment).
   * Ignored for a regression pipeline, whose labels are values.
   * @default 0
   */
  readonly minPositives?: number;
  /** Least time between two training starts. @default 600_000 (10 min) */
  readonly cooldownMs?: number;
  /** Time between two polls of the end offsets. @default 30_000 */
  readonly pollIntervalMs?: number;
  /** Polls per run before continuing as new, to bound the history. @default 500 */
  readonly pollsPerRun?: number;
  /** How the started pipelines train, evaluate and gate. @default {} */
  readonly pipeline?: Omit<TrainingPipelineInput, 'model' | 'data' | 'triggeredBy'>;
}

/** The last training run this trigger started. */
export interface StartedTraining {
  readonly workflowId: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** The ranges the run trains on; their `toOffset`s are where the next "new examples" start. */
  readonly offsetRanges: readonly OffsetRange[];
  /** Positive examples in those ranges; absent for runs started before the trigger counted them. */
  readonly positives?: number;
}

/** What the last poll saw. */
export interface PollObservation {
  /** Epoch ms. */
  readonly at: number;
  /** New offsets since the last training (an upper bound: transaction markers and aborted records occupy offsets too). */
  readonly newOffsets: number;
  /** The exact count of the new range, when the offsets reached the threshold and it was counted. */
  readonly counted: ExampleCount | undefined;
  /** Positive examples in everything the next training would train on, when known. */
  readonly windowPositives?: number;
  /** Positive examples in that window's test split as the pipeline would cut it, when counted. */
  readonly testSplitPositives?: number;
  /** Why no training started, or `started <id>`. */
  readonly outcome: string;
}

/** The trigger's state: what `status` answers and what continue-as-new carries. */
export interface ThresholdTriggerState {
  readonly paused: boolean;
  readonly threshold: number;
  readonly minPositives: number;
  /**
   * Positive examples the whole training window must hold, so that the started pipeline's test split
   * can meet its `gates.minTestPositives`; derived from the pipeline settings (0 in runs started
   * before the rule).
   */
  readonly windowPositivesNeeded: number;
  readonly cooldownMs: number;
  readonly pollIntervalMs: number;
  /** Training runs started so far: the `<n>` of the next child id is this plus one. */
  readonly trainingsStarted: number;
  readonly lastStarted: StartedTraining | undefined;
  readonly lastPoll: PollObservation | undefined;
  /** Polls over all runs of this trigger. */
  readonly polls: number;
  /** The last poll failure (Kafka unreachable, …); cleared by the next good poll. */
  readonly lastError: string | undefined;
}

/** Stops polling until `resume`; a training already started keeps running. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Changes the threshold (and optionally the minimum positives); takes effect at once. */
export const setThresholdSignal = defineSignal<[{ threshold: number; minPositives?: number }]>('setThreshold');
export const statusQuery = defineQuery<ThresholdTriggerState>('status');

/** Ends the trigger once the poll in progress (if any) is done; a training it started keeps running. */
export const stopSignal = defineSignal<[StopRequest]>('stop');

/** The result of a trigger that was stopped. */
export interface ThresholdTriggerStopped {
  readonly stoppedBy: string;
  readonly reason: string | undefined;
  /** Epoch ms. */
  readonly stoppedAt: number;
  readonly state: ThresholdTriggerState;
}

/** The workflow id of a model's trigger: one per model. */
export const thresholdTriggerWorkflowId = (model: string): string => `threshold-trigger:${model}`;
/** The workflow id of the `n`th training run a trigger starts. */
export const triggeredTrainingWorkflowId = (model: string, n: number): string => `training:${model}:${n}`;

const { snapshotTrainingExampleOffsets } = proxyActivities<ExampleActivities>({
  startToCloseTimeout: '30s',
  // A sensor outlives Kafka outages: a failed poll is recorded and the next poll tries again.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

const { countTrainingExamples } = proxyActivities<ExampleActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

/**
 * Before this patch a poll's result replaced the whole state, losing a pause or a new threshold
 * signalled while its activity ran. Remove the old branch with `deprecatePatch` once no run
 * started before it is open (each run continues as new within `pollsPerRun` polls).
 */
const SIGNALS_SURVIVE_POLL_PATCH = 'signals-survive-poll';

/**
 * Runs before this patch had no `stop` handler, so a `stop` sent to one was buffered and ignored;
 * replaying such a run must keep ignoring it.
 */
const STOP_SIGNAL_PATCH = 'stop-signal';

/**
 * Before this patch a training started once the new examples reached the threshold and
 * `minPositives`, even when the whole window held too few positive examples for the pipeline's
 * operating-point gate, which then refused it; runs started before it keep deciding that way.
 */
const TEST_SPLIT_POSITIVES_PATCH = 'test-split-positives';

/**
 * Before this patch (and after the one above) the window's count of positives alone decided; runs
 * started then do not count the window's test split.
 */
const TEST_SPLIT_EXACT_PATCH = 'test-split-exact';

/**
 * Before this patch the trigger judged a window by its own settings' split, else the code's 15 %
 * test split, while the training it started cut the pipeline definition's `model.split`; after
 * it, the definition's split (reported by each count) holds unless the trigger's settings name
 * one. Runs started before it keep the 15 %.
 */
const DEFINITION_SPLIT_PATCH = 'trigger-definition-split';

/**
 * Before this patch the trigger polled the catalogue's training-examples topic whatever the
 * pipeline, and held a regression to the positive-label rules, which mean nothing for it. After
 * it, polls snapshot the pipeline's own topic, and a count reporting a regression skips
 * `minPositives` and the test split's positives.
 */
const PIPELINE_EXAMPLES_TOPIC_PATCH = 'trigger-pipeline-examples-topic';

const DEFAULTS = { minPositives: 0, cooldownMs: 600_000, pollIntervalMs: 30_000, pollsPerRun: 500 };

/** Watches training-examples for `model` and starts training runs; see the module comment. */
export async function thresholdTrigger(model: string, options: ThresholdTriggerOptions, carried?: ThresholdTriggerState): Promise<ThresholdTriggerStopped> {
  checkOptions(model, options);
  const windowPositivesNeeded = patched(TEST_SPLIT_POSITIVES_PATCH) ? testSplitPositivesNeeded(options) : 0;
  const countsTestSplit = windowPositivesNeeded > 0 && patched(TEST_SPLIT_EXACT_PATCH);
  const rules: PollRules = {
    windowRule: windowPositivesNeeded > 0,
    countsTestSplit,
    splitFromDefinition: windowPositivesNeeded > 0 && patched(DEFINITION_SPLIT_PATCH),
    pipelineTopic: patched(PIPELINE_EXAMPLES_TOPIC_PATCH),
  };
  const initial: ThresholdTriggerState = carried ?? {
    paused: false,
    threshold: options.threshold,
    minPositives: options.minPositives ?? DEFAULTS.minPositives,
    windowPositivesNeeded,
    cooldownMs: options.cooldownMs ?? DEFAULTS.cooldownMs,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    trainingsStarted: 0,
    lastStarted: undefined,
    lastPoll: undefined,
    polls: 0,
    lastError: undefined,
  };
  // A state carried from a run before the rule lacks the field; it follows this run's options,
  // or the last count's definition split once polls take it from there.
  let state: ThresholdTriggerState = { ...initial, windowPositivesNeeded: (rules.splitFromDefinition ? carried?.windowPositivesNeeded : undefined) || windowPositivesNeeded };
  let wake = false;
  setHandler(pauseSignal, () => {
    state = { ...state, paused: true };
  });
  setHandler(resumeSignal, () => {
    state = { ...state, paused: false };
    wake = true;
  });
  setHandler(setThresholdSignal, ({ threshold, minPositives }) => {
    if (!(Number.isInteger(threshold) && threshold >= 1)) {
      log.warn('setThreshold ignored: the threshold must be a whole number of at least 1', { threshold });
      return;
    }
    state = { ...state, threshold, minPositives: minPositives ?? state.minPositives };
    wake = true;
  });
  setHandler(statusQuery, () => state);
  let stop: StopRequest | undefined;
  if (patched(STOP_SIGNAL_PATCH)) {
    setHandler(stopSignal, (request) => {
      stop ??= request;
      wake = true;
    });
  }
  const stopped = (request: StopRequest): ThresholdTriggerStopped => {
    log.info('threshold trigger stopped', { by: request.by, reason: request.reason });
    return { stoppedBy: request.by, reason: request.reason, stoppedAt: Date.now(), state };
  };

  const pollsPerRun = options.pollsPerRun ?? DEFAULTS.pollsPerRun;
  for (let pollsThisRun = 0; pollsThisRun < pollsPerRun && !workflowInfo().continueAsNewSuggested; ) {
    await condition(() => !state.paused || stop !== undefined);
    if (stop !== undefined) return stopped(stop);
    const before = state;
    if (patched(SIGNALS_SURVIVE_POLL_PATCH)) {
      const polled = await poll(model, options, () => state, rules);
      // Merged into the state as it is after the poll: signals that arrived during it stay applied.
      state = { ...state, ...polled };
    } else {
      // Runs started before the patch decide and merge on the state from before the poll, as they did.
      state = { ...before, ...(await poll(model, options, () => before, rules)) };
    }
    pollsThisRun += 1;
    upsertMemo({ threshold: state.threshold, lastStarted: state.lastStarted?.workflowId ?? null, polls: state.polls });
    // A stop that arrived during the poll ends the run now rather than after another interval.
    if (stop !== undefined) return stopped(stop);
    wake = false;
    await condition(() => wake, state.pollIntervalMs);
  }
  if (stop !== undefined) return stopped(stop);
  return continueAsNew<typeof thresholdTrigger>(model, options, state);
}

/** What a poll changes: never the fields the signals own (paused, threshold, minimum positives). */
type PollResult = Pick<ThresholdTriggerState, 'polls' | 'lastError' | 'lastPoll'> & Partial<Pick<ThresholdTriggerState, 'trainingsStarted' | 'lastStarted' | 'windowPositivesNeeded'>>;

/** Which of the patched rules a run follows, decided once at its start. */
interface PollRules {
  /** The window must hold the positive examples its test split needs (test-split-positives). */
  readonly windowRule: boolean;
  /** The window's test split is counted as the pipeline cuts it (test-split-exact). */
  readonly countsTestSplit: boolean;
  /** The split is the definition's, as the count reports it, unless the options name one (trigger-definition-split). */
  readonly splitFromDefinition: boolean;
  /** Polls snapshot the pipeline's own topic, and a regression skips the positive-label rules (trigger-pipeline-examples-topic). */
  readonly pipelineTopic: boolean;
}

/**
 * One poll: snapshot, compare, maybe count and start a training run. Reads the state through
 * `live`, so a pause or a new threshold signalled while an activity runs counts at the next
 * decision. Never throws for a failed activity.
 */
async function poll(model: string, options: ThresholdTriggerOptions, live: () => ThresholdTriggerState, rules: PollRules): Promise<PollResult> {
  const state = live();
  const polled = { polls: state.polls + 1, lastPoll: state.lastPoll };
  const at = Date.now();
  let snapshot: PartitionEndOffset[];
  try {
    snapshot = await (rules.pipelineTopic ? snapshotTrainingExampleOffsets(model) : snapshotTrainingExampleOffsets());
  } catch (error) {
    return { ...polled, lastError: `snapshot failed: ${describeFailure(error)}` };
  }
  const newRanges = rangesSince(snapshot, state.lastStarted?.offsetRanges);
  const newOffsets = newRanges.reduce((sum, range) => sum + Number(BigInt(range.toOffset) - BigInt(range.fromOffset)), 0);
  let windowPositives: number | undefined;
  let testSplitPositives: number | undefined;
  let windowPositivesNeeded: number | undefined;
  const observe = (outcome: string, counted?: ExampleCount): PollResult => ({
    ...polled,
    ...(windowPositivesNeeded === undefined ? {} : { windowPositivesNeeded }),
    lastError: undefined,
    lastPoll: {
      at,
      newOffsets,
      counted,
      outcome,
      ...(windowPositives === undefined ? {} : { windowPositives }),
      ...(testSplitPositives === undefined ? {} : { testSplitPositives }),
    },
  });

  if (newOffsets < state.threshold) return observe(`${newOffsets} new offsets, below the threshold ${state.threshold}`);
  const sinceLast = state.lastStarted === undefined ? Number.POSITIVE_INFINITY : at - state.lastStarted.startedAt;
  if (sinceLast < state.cooldownMs) return observe(`threshold reached, cooling down for another ${state.cooldownMs - sinceLast} ms`);

  let counted: ExampleCount;
  try {
    counted = await countTrainingExamples(newRanges, undefined, model);
  } catch (error) {
    return { ...polled, lastError: `counting new examples failed: ${describeFailure(error)}` };
  }
  const { threshold, minPositives, paused } = live();
  if (paused) return observe('paused while counting; no training started', counted);
  if (counted.examples < threshold) return observe(`${counted.examples} new examples, below the threshold ${threshold}`, counted);
  // A regression's labels are values: no count of positives says anything about its training.
  const regression = rules.pipelineTopic && counted.task === 'regression';
  if (regression) windowPositivesNeeded = 0;
  else if (counted.positives < minPositives) return observe(`${counted.positives} new positive labels, below the minimum ${minPositives}`, counted);

  const trainingRanges = snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset }));
  if (rules.windowRule && !regression) {
    // The window's positives first (cheap while no retention has moved its start), then its test split
    // exactly as the pipeline will cut it: positives are not spread evenly in time (after a drift the
    // newest examples can hold almost none), and only the split itself says what the gate will see.
    const split = { ...DEFAULT_SPLIT_FRACTIONS, ...(rules.splitFromDefinition ? counted.definitionSplit : undefined), ...options.pipeline?.splitFractions };
    const needed = rules.splitFromDefinition ? windowPositivesForTestSplit(minTestPositivesOf(options), split.test) : state.windowPositivesNeeded;
    if (rules.splitFromDefinition) windowPositivesNeeded = needed;
    let window: ExampleCount | undefined;
    const countWindow = async (): Promise<ExampleCount> => countTrainingExamples(trainingRanges, split, model);
    try {
      const known = knownWindowPositives(state.lastStarted, trainingRanges, counted);
      if (known === undefined) window = await countWindow();
      windowPositives = known ?? window!.positives;
      if (windowPositives < needed) {
        return observe(
          `${windowPositives} positive examples in the training window, below the ${needed} it needs for its ` +
            `${Math.round(split.test * 100)} % test split to hold the ${minTestPositivesOf(options)} of the pipeline's gates.minTestPositives`,
          counted,
        );
      }
      if (rules.countsTestSplit) window ??= await countWindow();
    } catch (error) {
      return { ...polled, lastError: `counting the training window failed: ${describeFailure(error)}` };
    }
    if (live().paused) return observe('paused while counting; no training started', counted);
    testSplitPositives = window?.testSplit?.positives;
    const testPositives = testSplitPositives ?? 0;
    if (rules.countsTestSplit && testPositives < minTestPositivesOf(options)) {
      return observe(
        `the training window's ${Math.round(split.test * 100)} % test split would hold ${testPositives} positive examples ` +
          `(of ${windowPositives} in the window), below the ${minTestPositivesOf(options)} of the pipeline's gates.minTestPositives`,
        counted,
      );
    }
  }

  const started = await startTraining(model, options, state.trainingsStarted, trainingRanges);
  return {
    ...observe(`started ${started.workflowId}`, counted),
    trainingsStarted: started.n,
    lastStarted: { workflowId: started.workflowId, startedAt: Date.now(), offsetRanges: trainingRanges, ...(windowPositives === undefined ? {} : { positives: windowPositives }) },
  };
}

const testFractionOf = (options: ThresholdTriggerOptions): number => options.pipeline?.splitFractions?.test ?? DEFAULT_SPLIT_FRACTIONS.test;
const minTestPositivesOf = (options: ThresholdTriggerOptions): number => options.pipeline?.gates?.minTestPositives ?? DEFAULT_GATES.minTestPositives;

/** The positive examples a training window needs for the started pipeline's own split and gate. */
function testSplitPositivesNeeded(options: ThresholdTriggerOptions): number {
  return windowPositivesForTestSplit(minTestPositivesOf(options), testFractionOf(options));
}

/**
 * The positive examples of the whole window without reading it again: the last training's count plus
 * the new range's, when every partition still starts where that training's range started (nothing
 * removed by retention, no new partition). The first training's new range is the whole window.
 */
function knownWindowPositives(lastStarted: StartedTraining | undefined, window: readonly OffsetRange[], counted: ExampleCount): number | undefined {
  if (lastStarted === undefined) return counted.positives;
  if (lastStarted.positives === undefined) return undefined;
  const unchanged = window.every((range) => {
    const used = lastStarted.offsetRanges.find((previous) => previous.topic === range.topic && previous.partition === range.partition);
    return used !== undefined && used.fromOffset === range.fromOffset && BigInt(used.toOffset) <= BigInt(range.toOffset);
  });
  return unchanged ? lastStarted.positives + counted.positives : undefined;
}

/**
 * Starts the next training run as an abandoned child (it outlives this run and its
 * continue-as-new). An id still taken by a running workflow (a trigger recreated without its
 * state) moves on to the next number.
 */
async function startTraining(model: string, options: ThresholdTriggerOptions, trainingsStarted: number, ranges: readonly OffsetRange[]): Promise<{ workflowId: string; n: number }> {
  const triggeredBy = `workflow:${workflowInfo().workflowId}`;
  for (let n = trainingsStarted + 1; ; n += 1) {
    const workflowId = triggeredTrainingWorkflowId(model, n);
    try {
      await startChild(trainingPipeline, {
        workflowId,
        args: [{ ...options.pipeline, model, data: { kind: 'ranges', ranges }, triggeredBy }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [{ key: TributaryModelName, value: model }],
        memo: { triggeredBy, offsetRanges: ranges },
      });
      return { workflowId, n };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      log.warn('training workflow id already in use; trying the next one', { workflowId });
    }
  }
}

/** Per partition, the offsets after those the last training used of the same topic (all retained offsets before the first one). */
function rangesSince(snapshot: readonly PartitionEndOffset[], used: readonly OffsetRange[] | undefined): OffsetRange[] {
  return snapshot.map(({ topic, partition, startOffset, endOffset }) => {
    // Offsets of another topic (the catalogue's, polled before the trigger-pipeline-examples-topic patch) say nothing about this one.
    const usedTo = used?.find((range) => range.topic === topic && range.partition === partition)?.toOffset;
    const from = usedTo === undefined || BigInt(usedTo) < BigInt(startOffset) ? startOffset : usedTo;
    return { topic, partition, fromOffset: BigInt(from) > BigInt(endOffset) ? endOffset : from, toOffset: endOffset };
  });
}

/** The activity's own message: an ActivityFailure wraps the ApplicationFailure that carries it. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** Refuses a model name or options the loop cannot run with, as a non-retryable failure naming each. */
function checkOptions(model: string, options: ThresholdTriggerOptions): void {
  const problems: string[] = [modelNameProblem(model)].filter((problem): problem is string => problem !== undefined);
  if (typeof options !== 'object' || options === null) {
    throw ApplicationFailure.nonRetryable(`invalid threshold trigger options: expected an object such as {"threshold":10000}, got ${JSON.stringify(options)}`, 'InvalidTriggerOptions');
  }
  if (options.threshold === undefined) problems.push('threshold: required, the number of new examples that starts a training run');
  const whole = (name: string, value: number | undefined, minimum: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= minimum)) problems.push(`${name}=${value}: expected a whole number >= ${minimum}`);
  };
  whole('threshold', options.threshold, 1);
  whole('minPositives', options.minPositives, 0);
  whole('cooldownMs', options.cooldownMs, 0);
  whole('pollIntervalMs', options.pollIntervalMs, 1);
  whole('pollsPerRun', options.pollsPerRun, 1);
  problems.push(...pipelineSettingsProblems(options.pipeline ?? {}).map((problem) => `pipeline.${problem}`));
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid threshold trigger options: ${problems.join('; ')}`, 'InvalidTriggerOptions');
}
