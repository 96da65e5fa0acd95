/**
 * abRollout: puts a challenger version on live traffic step by step (shadow → 10 % → 50 % →
 * 100 % by default), compares it with the champion on scores joined with labels, and ends in a
 * promotion or a rollback — automatically (guardrail breach, significantly better) or by a person.
 * One per model: workflow id `rollout:<model>`.
 *
 * - Each step publishes its routing to the deployments topic and measures from there: a snapshot
 *   of the scores/labels/DLQ offsets taken just before, and only scores made under the published
 *   revision or later.
 * - Every `pollIntervalMs` it reads the live metrics and applies {@link automaticAction}. After
 *   the last step without a clear winner it waits for a person up to `decisionTimeoutMs`, then
 *   takes `defaultAction`.
 * - People act through updates with validators (promote, rollback, setTraffic, pause, resume: the
 *   caller gets the new status, or the reason of a refusal) or the same operations as signals.
 *   Commands are queued and carried out by the main loop only, so one writer changes the state.
 * - Every decision — who, when, why and the figures at that moment — goes into the registry
 *   (the author of the stage and alias change) and into the memo and the decision log. Search
 *   attributes: model, challenger and champion versions, and the phase as `TributaryStage`.
 * - The run continues as new after `pollsPerRun` polls or when Temporal suggests it, carrying its status.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PublishedRouting, RolloutActivities } from '../activities/rollout-activities.js';
import type { LiveMetrics } from '../rollout/live-metrics.js';
import type { LiveOffsets } from '../rollout/live-metrics-reader.js';
import type { LiveMetricsSource } from '../rollout/live-metrics-source.js';
import type { ServedModel } from '../serving/model-deployment.js';
import {
  assertPhaseTransition,
  automaticAction,
  compileRolloutPlan,
  DEFAULT_GUARDRAILS,
  describeFigures,
  GUARDRAILS_BEFORE_RELATIVE_LATENCY,
  isEmptyPlan,
  isEnded,
  labelledOf,
  rolloutPlanOfDefinition,
  rolloutPlanProblems,
  stepRouting,
  type CompiledRolloutPlan,
  type RolloutPhase,
  type RolloutPlan,
  type RolloutStep,
} from './ab-rollout-plan.js';
import { TributaryChallengerVersion, TributaryChampionVersion, TributaryModelName, TributaryModelVersion, TributaryStage } from '../temporal/search-attributes.js';
import { modelNameProblem } from './training-pipeline-input.js';

export interface AbRolloutInput {
  readonly model: string;
  readonly challengerVersion: number;
  /** The champion the rollout expects; it refuses to start when the registry's is another. @default the registry's champion */
  readonly championVersion?: number;
  /** @default the plan of the pipeline's applied definition (`rollout.plan`, itself `standard` by default); `{}` counts as none given */
  readonly plan?: RolloutPlan;
  /** Who started the rollout: a person, or `workflow:<id>` for the training pipeline. */
  readonly requestedBy: string;
  /** @default 'rollout started' */
  readonly reason?: string;
}

/** One entry of the decision log: who did what, when, why, and the figures at that moment. */
export interface RolloutDecision {
  /** Epoch ms. */
  readonly at: number;
  readonly action: 'start' | 'step' | 'await-decision' | 'set-traffic' | 'pause' | 'resume' | 'promote' | 'rollback' | 'signal-refused';
  readonly by: string;
  readonly reason: string;
  readonly figures: string;
}

/** Where the current measurement starts. */
export interface Measurement {
  /** Epoch ms of the routing change. */
  readonly startedAt: number;
  readonly fromRevision: number;
  readonly since: LiveOffsets;
  readonly featuresTopic: string;
}

/** What `status` answers, updates return and continue-as-new carries. */
export interface RolloutStatus {
  readonly model: string;
  readonly phase: RolloutPhase;
  /** The phase a resume returns to; null unless paused. */
  readonly pausedFrom: RolloutPhase | null;
  readonly champion: ServedModel | null;
  readonly challenger: ServedModel | null;
  readonly stepIndex: number;
  readonly steps: readonly RolloutStep[];
  /** What the challenger gets now: the step's routing, or the one a person set. */
  readonly traffic: { readonly mode: RolloutStep['mode'] | 'NONE'; readonly percent: number };
  readonly measurement: Measurement | null;
  /** Epoch ms when the default action is taken, while awaiting a decision. */
  readonly decisionDeadline: number | null;
  readonly metrics: LiveMetrics | null;
  readonly metricsAt: number | null;
  /** Why the last poll took no action, or what it did. */
  readonly lastEvaluation: string | null;
  /** The last failed poll or decision; cleared by the next good one. */
  readonly lastError: string | null;
  readonly polls: number;
  readonly decisions: readonly RolloutDecision[];
  /** The pipeline's topics, label fields and task the figures are read with; absent in rollouts started before they were passed. */
  readonly source?: LiveMetricsSource;
}

/** How a rollout ended. */
export interface RolloutOutcome {
  readonly model: string;
  readonly action: 'promote' | 'rollback';
  /** The champion after the rollout. */
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly decision: RolloutDecision;
}

export interface PersonAuthor {
  /** Who asks: a person or a service. */
  readonly by: string;
  /** Why; recorded in the registry and the decision log. @default 'no reason given' */
  readonly reason?: string;
}
export interface PromoteRequest extends PersonAuthor {
  /** Promote before the step's minimum sample is reached. @default false */
  readonly force?: boolean;
}
export interface SetTrafficRequest extends PersonAuthor {
  /** Share of entity keys the challenger decides, 0 to 100; 0 puts it in shadow. */
  readonly percent: number;
}

export const promoteUpdate = defineUpdate<RolloutStatus, [PromoteRequest]>('promote');
export const rollbackUpdate = defineUpdate<RolloutStatus, [PersonAuthor]>('rollback');
export const setTrafficUpdate = defineUpdate<RolloutStatus, [SetTrafficRequest]>('setTraffic');
export const pauseUpdate = defineUpdate<RolloutStatus, [PersonAuthor]>('pause');
export const resumeUpdate = defineUpdate<RolloutStatus, [PersonAuthor]>('resume');
/** The same operations for callers that cannot wait; a refused signal is logged in the decision log. */
export const promoteSignal = defineSignal<[PromoteRequest]>('promoteSignal');
export const rollbackSignal = defineSignal<[PersonAuthor]>('rollbackSignal');
export const setTrafficSignal = defineSignal<[SetTrafficRequest]>('setTrafficSignal');
export const pauseSignal = defineSignal<[PersonAuthor]>('pauseSignal');
export const resumeSignal = defineSignal<[PersonAuthor]>('resumeSignal');
export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');

/** The workflow id of a model's rollout: one per model. */
export const rolloutWorkflowId = (model: string): string => `rollout:${model}`;

/** The failure type of a refused or failed update, and of an invalid input. */
export const ROLLOUT_UPDATE_REFUSED = 'RolloutUpdateRefused';
export const INVALID_ROLLOUT_INPUT = 'InvalidRolloutInput';

type Command =
  | ({ readonly kind: 'promote' } & PromoteRequest)
  | ({ readonly kind: 'rollback' } & PersonAuthor)
  | ({ readonly kind: 'set-traffic' } & SetTrafficRequest)
  | ({ readonly kind: 'pause' } & PersonAuthor)
  | ({ readonly kind: 'resume' } & PersonAuthor);

const { prepareRollout, snapshotLiveOffsets, publishRouting, recordDecision } = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['RolloutError', 'DeploymentError', 'StageTransitionError'] },
});

const { collectLiveMetrics } = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '2m',
  // A failed read is recorded and the next poll tries again: the rollout outlives a Kafka outage.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

/**
 * Why `command` cannot be carried out now, or undefined when it can. Run by the update validators
 * (the caller sees the reason at once) and again when the queued command is carried out.
 */
export function commandProblem(status: RolloutStatus, command: Command): string | undefined {
  if (typeof command.by !== 'string' || command.by.trim() === '') return `${command.kind} needs who asks for it ("by")`;
  if (isEnded(status.phase)) return `the rollout of ${status.model} has ended (${status.phase}); there is nothing to ${command.kind}`;
  const challenger = status.challenger === null ? 'the challenger' : `challenger v${status.challenger.version}`;
  switch (command.kind) {
    case 'promote': {
      const needed = status.steps[status.stepIndex]?.minSamples ?? 0;
      const labelled = status.metrics === null ? 0 : labelledOf(status.metrics.challenger);
      if (command.force !== true && labelled < needed) {
        return `${challenger} has ${labelled} of ${needed} labelled scores; to promote anyway, force it (\`tributary promote ${status.model} --force\`, or "force": true in the promote update's argument)`;
      }
      return undefined;
    }
    case 'set-traffic':
      if (!(typeof command.percent === 'number' && Number.isFinite(command.percent) && command.percent >= 0 && command.percent <= 100)) {
        return `traffic must be a percentage from 0 to 100, got ${JSON.stringify(command.percent)}`;
      }
      return undefined;
    case 'pause':
      return status.phase === 'paused' ? `the rollout of ${status.model} is already paused` : undefined;
    case 'resume':
      return status.phase === 'paused' || status.phase === 'manual' ? undefined : `the rollout of ${status.model} is ${status.phase}; only a paused rollout or one on manual traffic can resume`;
    default:
      return undefined;
  }
}

/**
 * Runs before this patch compiled their plan with an absolute default latency limit (p99 1000 ms)
 * instead of the comparison with the champion; replaying them must decide as they did.
 */
const RELATIVE_LATENCY_GUARDRAIL_PATCH = 'relative-latency-guardrail';

/**
 * A rollout started without a plan of its own follows its pipeline definition's `rollout.plan`
 * (regression guardrails on MAE/RMSE among them); runs before this patch took the standard plan.
 */
const DEFINITION_PLAN_PATCH = 'definition-rollout-plan';

/** Refuses an input the rollout cannot run with, as a non-retryable failure naming each problem. */
function checkInput(input: AbRolloutInput): void {
  const problems = [modelNameProblem(input?.model)].filter((problem): problem is string => problem !== undefined);
  if (!(Number.isInteger(input?.challengerVersion) && input.challengerVersion >= 1)) problems.push(`challengerVersion=${JSON.stringify(input?.challengerVersion)}: expected a version number >= 1`);
  if (input?.championVersion !== undefined && !(Number.isInteger(input.championVersion) && input.championVersion >= 1)) {
    problems.push(`championVersion=${JSON.stringify(input.championVersion)}: expected a version number >= 1`);
  }
  if (typeof input?.requestedBy !== 'string' || input.requestedBy.trim() === '') problems.push('requestedBy: required, who starts the rollout');
  problems.push(...rolloutPlanProblems(input?.plan ?? {}).map((problem) => `plan.${problem}`));
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid rollout input: ${problems.join('; ')}`, INVALID_ROLLOUT_INPUT);
}

/** The activity's own message: an ActivityFailure wraps the ApplicationFailure that carries it. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** Rolls `input.challengerVersion` out against the champion; see the module comment. */
export async function abRollout(input: AbRolloutInput, carried?: RolloutStatus): Promise<RolloutOutcome> {
  checkInput(input);
  const guardrailDefaults = patched(RELATIVE_LATENCY_GUARDRAIL_PATCH) ? DEFAULT_GUARDRAILS : GUARDRAILS_BEFORE_RELATIVE_LATENCY;
  let plan: CompiledRolloutPlan = compileRolloutPlan(input.plan ?? {}, guardrailDefaults);
  // What a continued run compiles its plan from: the definition's, once it replaced an empty one.
  let planInput = input.plan;
  const self = `workflow:${workflowInfo().workflowId}`;
  let status: RolloutStatus = carried ?? {
    model: input.model,
    phase: 'running',
    pausedFrom: null,
    champion: null,
    challenger: null,
    stepIndex: 0,
    steps: plan.steps,
    traffic: { mode: 'NONE', percent: 0 },
    measurement: null,
    decisionDeadline: null,
    metrics: null,
    metricsAt: null,
    lastEvaluation: null,
    lastError: null,
    polls: 0,
    decisions: [],
  };
  let outcome: RolloutOutcome | undefined;

  // Commands from updates and signals, carried out by the main loop in arrival order.
  const queue: { readonly id: number; readonly command: Command; readonly waited: boolean }[] = [];
  const results = new Map<number, string | undefined>();
  let nextCommandId = 0;

  const refuse = (problem: string | undefined): void => {
    if (problem !== undefined) throw ApplicationFailure.nonRetryable(problem, ROLLOUT_UPDATE_REFUSED);
  };
  const submit = async (command: Command): Promise<RolloutStatus> => {
    const id = (nextCommandId += 1);
    queue.push({ id, command, waited: true });
    await condition(() => results.has(id));
    const problem = results.get(id);
    results.delete(id);
    if (problem !== undefined) throw ApplicationFailure.nonRetryable(problem, ROLLOUT_UPDATE_REFUSED);
    return status;
  };
  const signalled = (command: Command): void => {
    const problem = commandProblem(status, command);
    if (problem === undefined) {
      queue.push({ id: (nextCommandId += 1), command, waited: false });
      return;
    }
    log.warn('rollout signal refused', { kind: command.kind, by: command.by, problem });
    status = { ...status, decisions: [...status.decisions, decision('signal-refused', command.by, `${command.kind} refused: ${problem}`)] };
  };

  setHandler(promoteUpdate, (request) => submit({ kind: 'promote', ...request }), { validator: (request) => refuse(commandProblem(status, { kind: 'promote', ...request })) });
  setHandler(rollbackUpdate, (request) => submit({ kind: 'rollback', ...request }), { validator: (request) => refuse(commandProblem(status, { kind: 'rollback', ...request })) });
  setHandler(setTrafficUpdate, (request) => submit({ kind: 'set-traffic', ...request }), { validator: (request) => refuse(commandProblem(status, { kind: 'set-traffic', ...request })) });
  setHandler(pauseUpdate, (request) => submit({ kind: 'pause', ...request }), { validator: (request) => refuse(commandProblem(status, { kind: 'pause', ...request })) });
  setHandler(resumeUpdate, (request) => submit({ kind: 'resume', ...request }), { validator: (request) => refuse(commandProblem(status, { kind: 'resume', ...request })) });
  setHandler(promoteSignal, (request) => signalled({ kind: 'promote', ...request }));
  setHandler(rollbackSignal, (request) => signalled({ kind: 'rollback', ...request }));
  setHandler(setTrafficSignal, (request) => signalled({ kind: 'set-traffic', ...request }));
  setHandler(pauseSignal, (request) => signalled({ kind: 'pause', ...request }));
  setHandler(resumeSignal, (request) => signalled({ kind: 'resume', ...request }));
  setHandler(rolloutStatusQuery, () => status);

  function decision(action: RolloutDecision['action'], by: string, reason: string): RolloutDecision {
    return { at: Date.now(), action, by, reason, figures: describeFigures(status.metrics) };
  }

  function moveTo(phase: RolloutPhase, changes: Partial<RolloutStatus>, logged: RolloutDecision | undefined): void {
    assertPhaseTransition(status.phase, phase);
    status = { ...status, ...changes, phase, decisions: logged === undefined ? status.decisions : [...status.decisions, logged] };
    publishVisibility();
  }

  function publishVisibility(): void {
    const step = status.steps[status.stepIndex];
    const champion = status.phase === 'promoted' ? status.challenger : status.champion;
    upsertSearchAttributes([
      { key: TributaryStage, value: isEnded(status.phase) ? status.phase : `rollout:${status.phase}` },
      ...(champion === null ? [] : [{ key: TributaryChampionVersion, value: champion.version }]),
    ]);
    upsertMemo({
      phase: status.phase,
      step: step === undefined ? null : `${status.stepIndex + 1}/${status.steps.length} ${step.mode} ${step.percent}%`,
      traffic: `${status.traffic.mode} ${status.traffic.percent}%`,
      champion: status.champion?.version ?? null,
      challenger: status.challenger?.version ?? null,
      figures: describeFigures(status.metrics),
      lastDecision: status.decisions.at(-1) ?? null,
    });
  }

  /** Publishes the routing and starts measuring from it: offsets first, so no score under the new revision is missed. */
  async function route(mode: RolloutStep['mode'], percent: number, by: string, reason: string): Promise<Measurement> {
    const since = await snapshotLiveOffsets({ model: input.model, source: status.source });
    const routing: PublishedRouting = await publishRouting({
      model: input.model,
      champion: status.champion!,
      challenger: status.challenger!,
      mode,
      share: mode === 'SPLIT' ? percent / 100 : 0,
      author: { by, reason },
    });
    return { startedAt: Date.now(), fromRevision: routing.revision, since, featuresTopic: routing.featuresTopic };
  }

  async function startStep(index: number, by: string, reason: string): Promise<void> {
    const step = status.steps[index]!;
    const { mode, share } = stepRouting(step);
    const measurement = await route(mode, share * 100, by, reason);
    const logged = decision('step', by, `step ${index + 1}/${status.steps.length}: ${step.mode} ${step.percent}% (${reason})`);
    moveTo('running', { stepIndex: index, traffic: { mode, percent: step.percent }, measurement, metrics: null, metricsAt: null }, logged);
  }

  /** Records the final decision in the registry and the deployment; false (with lastError) when that failed. */
  async function finish(action: 'promote' | 'rollback', by: string, reason: string): Promise<string | undefined> {
    const logged = decision(action, by, reason);
    try {
      await recordDecision({ model: input.model, action, champion: status.champion!, challenger: status.challenger!, author: { by, reason: `${reason} | ${logged.figures}` } });
    } catch (error) {
      const problem = `recording the ${action} failed: ${describeFailure(error)}`;
      status = { ...status, lastError: problem };
      return problem;
    }
    moveTo(action === 'promote' ? 'promoted' : 'rolled-back', { traffic: { mode: 'NONE', percent: 0 }, decisionDeadline: null, lastError: null }, logged);
    outcome = {
      model: input.model,
      action,
      championVersion: action === 'promote' ? status.challenger!.version : status.champion!.version,
      challengerVersion: status.challenger!.version,
      decision: logged,
    };
    return undefined;
  }

  /**
   * Records a routing change that failed after its retries (the deployments topic unreachable,
   * a change the deployment rules refuse) and returns the problem; the rollout stays where it
   * was. Anything but an activity's failure is a bug and fails the workflow task.
   */
  function routingFailed(error: unknown): string {
    if (!(error instanceof ActivityFailure)) throw error;
    const problem = `publishing the routing failed: ${describeFailure(error)}`;
    status = { ...status, lastError: problem };
    return problem;
  }

  /** Carries out one person's command; the problem when it cannot. */
  async function carryOut(command: Command): Promise<string | undefined> {
    const problem = commandProblem(status, command);
    if (problem !== undefined) return problem;
    const reason = command.reason ?? 'no reason given';
    switch (command.kind) {
      case 'promote':
        return finish('promote', command.by, command.force === true ? `${reason} (forced)` : reason);
      case 'rollback':
        return finish('rollback', command.by, reason);
      case 'set-traffic': {
        const mode = command.percent === 0 ? 'SHADOW' : 'SPLIT';
        let measurement: Measurement;
        try {
          measurement = await route(mode, command.percent, command.by, reason);
        } catch (error) {
          return routingFailed(error);
        }
        moveTo('manual', { traffic: { mode, percent: command.percent }, measurement, metrics: null, metricsAt: null, decisionDeadline: null, pausedFrom: null }, decision('set-traffic', command.by, `traffic set to ${command.percent}% (${reason})`));
        return undefined;
      }
      case 'pause':
        moveTo('paused', { pausedFrom: status.phase, decisionDeadline: null }, decision('pause', command.by, reason));
        return undefined;
      case 'resume': {
        if (status.phase === 'manual') {
          // Back to the plan: the current step starts over with its own routing.
          try {
            await startStep(status.stepIndex, command.by, `resumed the plan: ${reason}`);
          } catch (error) {
            return routingFailed(error);
          }
          return undefined;
        }
        const back = status.pausedFrom ?? 'running';
        const deadline = back === 'awaiting-decision' ? Date.now() + plan.decisionTimeoutMs : null;
        moveTo(back, { pausedFrom: null, decisionDeadline: deadline }, decision('resume', command.by, reason));
        return undefined;
      }
    }
  }

  async function runQueuedCommands(): Promise<void> {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const problem = await carryOut(next.command);
      if (next.waited) results.set(next.id, problem);
      else if (problem !== undefined) status = { ...status, decisions: [...status.decisions, decision('signal-refused', next.command.by, `${next.command.kind} refused: ${problem}`)] };
    }
  }

  async function poll(): Promise<void> {
    const { measurement, champion, challenger } = status;
    let metrics: LiveMetrics;
    try {
      metrics = await collectLiveMetrics({
        scope: { model: input.model, championVersion: champion!.version, challengerVersion: challenger!.version, fromRevision: measurement!.fromRevision, confidence: plan.confidence },
        since: measurement!.since,
        featuresTopic: measurement!.featuresTopic,
        source: status.source,
      });
    } catch (error) {
      status = { ...status, polls: status.polls + 1, lastError: `reading the live metrics failed: ${describeFailure(error)}` };
      return;
    }
    const now = Date.now();
    status = { ...status, polls: status.polls + 1, metrics, metricsAt: now, lastError: null };
    const action = automaticAction({ plan, phase: status.phase, stepIndex: status.stepIndex, stepElapsedMs: now - measurement!.startedAt, metrics });
    switch (action.kind) {
      case 'rollback':
      case 'promote':
        status = { ...status, lastEvaluation: action.reason };
        await finish(action.kind, self, action.reason);
        break;
      case 'next-step':
        try {
          await startStep(status.stepIndex + 1, self, `step ${status.stepIndex + 1} completed: ${describeFigures(metrics)}`);
        } catch (error) {
          // The step stays as it is; the next poll tries again.
          routingFailed(error);
          break;
        }
        status = { ...status, lastEvaluation: `moved on to step ${status.stepIndex + 1}` };
        break;
      case 'await-decision':
        moveTo('awaiting-decision', { decisionDeadline: now + plan.decisionTimeoutMs, lastEvaluation: action.reason }, decision('await-decision', self, action.reason));
        break;
      case 'continue':
        status = { ...status, lastEvaluation: action.reason };
        publishVisibility();
        break;
    }
  }

  if (carried === undefined) {
    upsertSearchAttributes([
      { key: TributaryModelName, value: input.model },
      { key: TributaryModelVersion, value: String(input.challengerVersion) },
      { key: TributaryChallengerVersion, value: input.challengerVersion },
    ]);
    const reason = input.reason ?? 'rollout started';
    const prepared = await prepareRollout({ model: input.model, challengerVersion: input.challengerVersion, championVersion: input.championVersion, author: { by: input.requestedBy, reason } });
    if (isEmptyPlan(input.plan) && patched(DEFINITION_PLAN_PATCH)) {
      const defined = rolloutPlanOfDefinition(prepared.rollout?.plan);
      const problems = rolloutPlanProblems(defined);
      if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid rollout plan in pipeline ${input.model}'s definition: ${problems.map((problem) => `rollout.plan.${problem}`).join('; ')}`, INVALID_ROLLOUT_INPUT);
      plan = compileRolloutPlan(defined, guardrailDefaults);
      planInput = defined;
      status = { ...status, steps: plan.steps };
    }
    status = { ...status, champion: prepared.champion, challenger: prepared.challenger, ...(prepared.source === undefined ? {} : { source: prepared.source }), decisions: [decision('start', input.requestedBy, `${reason}: challenger v${prepared.challenger.version} against champion v${prepared.champion.version}`)] };
    await startStep(0, self, 'first step of the plan');
  }

  let nextPollAt = Date.now() + plan.pollIntervalMs;
  for (let pollsThisRun = 0; ; ) {
    await runQueuedCommands();
    if (isEnded(status.phase)) break;
    if (status.phase === 'awaiting-decision' && status.decisionDeadline !== null && Date.now() >= status.decisionDeadline) {
      await finish(plan.defaultAction, self, `nobody decided within ${plan.decisionTimeoutMs} ms after the last step; the default action is ${plan.defaultAction}`);
      if (isEnded(status.phase)) break;
    }
    if (Date.now() >= nextPollAt) {
      await poll();
      pollsThisRun += 1;
      nextPollAt = Date.now() + plan.pollIntervalMs;
      continue;
    }
    if (pollsThisRun >= plan.pollsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(() => queue.length > 0 || allHandlersFinished());
      if (queue.length === 0) return continueAsNew<typeof abRollout>({ ...input, plan: planInput }, status);
    }
    const wakeAt = status.decisionDeadline === null ? nextPollAt : Math.min(nextPollAt, status.decisionDeadline);
    await condition(() => queue.length > 0, Math.max(1, wakeAt - Date.now()));
  }
  // Let the update that ended the rollout return its status before the run completes.
  await condition(allHandlersFinished);
  return outcome!;
}
