/**
 * The phases of a Flink deployment and the transitions allowed between them. The workflow
 * moves only through {@link transition}, which throws on any move the table does not list, so
 * a code change that skips the savepoint or rolls back twice fails loudly instead of
 * deploying in a state nobody designed.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export type DeploymentPhase =
  | 'locating'
  | 'preparing-output'
  | 'savepointing'
  | 'stopping'
  | 'submitting'
  | 'verifying'
  | 'catching-up'
  | 'rolling-back'
  | 'verifying-rollback'
  | 'taking-over'
  | 'stopping-previous'
  | 'deployed'
  | 'rolled-back'
  | 'aborted'
  | 'failed'
  | 'rollback-failed'
  | 'takeover-failed';

/**
 * Where each phase may go next.
 * - `aborted`: nothing changed; the old job (if any) still runs.
 * - `failed`: a first deployment (nothing to roll back to) did not become healthy; its job is stopped.
 * - `rollback-failed`: the new version failed and so did the previous one from the same savepoint; a person must act.
 * - blue/green: `preparing-output` (the new topic) → `savepointing` (the old job keeps running) →
 *   `submitting` → `verifying` → `catching-up` → `taking-over` (models move to the new topic) →
 *   `stopping-previous` → `deployed`. Before the takeover, `rolling-back` cancels the new job and
 *   ends `rolled-back` at once: the old job never stopped. `takeover-failed`: moving the models
 *   failed; both jobs run and a person must act.
 */
export const DEPLOYMENT_TRANSITIONS: { readonly [From in DeploymentPhase]: readonly DeploymentPhase[] } = {
  locating: ['preparing-output', 'savepointing', 'stopping', 'submitting', 'aborted'],
  'preparing-output': ['savepointing', 'aborted'],
  savepointing: ['submitting', 'aborted'],
  stopping: ['submitting', 'aborted'],
  submitting: ['verifying', 'rolling-back', 'failed'],
  verifying: ['catching-up', 'deployed', 'rolling-back', 'failed'],
  'catching-up': ['taking-over', 'rolling-back'],
  'rolling-back': ['verifying-rollback', 'rolled-back', 'rollback-failed'],
  'verifying-rollback': ['rolled-back', 'rollback-failed'],
  'taking-over': ['stopping-previous', 'takeover-failed'],
  'stopping-previous': ['deployed'],
  deployed: [],
  'rolled-back': [],
  aborted: [],
  failed: [],
  'rollback-failed': [],
  'takeover-failed': [],
};

/** Returns `to` when the table allows `from → to`; throws a non-retryable `IllegalDeploymentTransition` otherwise. */
export function transition(from: DeploymentPhase, to: DeploymentPhase): DeploymentPhase {
  if (!DEPLOYMENT_TRANSITIONS[from].includes(to)) {
    throw ApplicationFailure.nonRetryable(
      `illegal deployment transition ${from} → ${to}; allowed from ${from}: ${DEPLOYMENT_TRANSITIONS[from].join(', ') || 'none (final)'}`,
      'IllegalDeploymentTransition',
    );
  }
  return to;
}
