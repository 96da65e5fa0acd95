/** `tributary drift status` as a person reads it; loaded by the action, with the workflow module it names runs by. */
import type { TributaryConfig } from '../config/config.js';
import { workflowUiLink } from '../worker/temporal-connection.js';
import { driftMonitorWorkflowId, type DriftMonitorState } from '../workflows/drift-monitor.js';

const formatTime = (epochMs: number | undefined): string => (epochMs === undefined ? '-' : new Date(epochMs).toISOString());
const figure = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(3));

/** The state as a person reads it: the verdict, the largest figures, the worst five columns. */
export function renderDriftStatus(config: TributaryConfig, model: string, state: DriftMonitorState): string {
  const check = state.lastCheck;
  const figures = check?.figures ?? undefined;
  const worst = figures === undefined ? [] : [...figures.features].sort((a, b) => b.psi - a.psi).slice(0, 5);
  const retraining = state.lastRetraining;
  return [
    `monitor         ${driftMonitorWorkflowId(model)} (${state.paused ? 'paused' : 'checking'}), every ${state.intervalMs} ms; ${state.checks} checks so far`,
    `thresholds      feature PSI >= ${state.featurePsiThreshold}, score PSI >= ${state.scorePsiThreshold}; cooldown ${state.cooldownMs} ms`,
    `last check      ${check === undefined ? 'none yet' : `${formatTime(check.at)}: ${check.outcome}`}`,
    `champion        ${figures === undefined ? '-' : `v${figures.championVersion}: ${figures.referenceRecords} reference vs ${figures.liveRecords} live records`}`,
    `score drift     ${figures?.score == null ? '-' : `PSI ${figure(figures.score.psi)}, KS D ${figure(figures.score.ksStatistic)} (p ${figures.score.ksPValue.toExponential(2)}) over ${figures.score.liveScores} live scores`}`,
    `top features    ${worst.length === 0 ? '-' : worst.map((feature) => `${feature.column} ${figure(feature.psi)}`).join(', ')}`,
    `last error      ${state.lastError ?? '-'}`,
    `last retraining ${retraining === undefined ? '-' : `${retraining.workflowId} at ${formatTime(retraining.startedAt)} (${workflowUiLink(config, retraining.workflowId)})`}`,
  ].join('\n');
}
