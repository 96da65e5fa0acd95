/**
 * The phases of a Flink deployment and the transitions allowed between them. The workflow
 * moves only through {@link transition}, which throws on any move the table does not list, so
 * a code change that skips the savepoint or rolls back twice fails loudly instead of
 * deploying in a state nobody designed.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export type DeploymentPhase =
  | 'locating'
  | 'savepointing'
  | 'stopping'
  | 'submitting'
  | 'verifying'
  | 'rolling-back'
  | 'verifying-rollback'
  | 'deployed'
  | 'rolled-back'
  | 'aborted'
  | 'failed'
  | 'rollback-failed';

/**
 * Where each phase may go next.
 * - `aborted`: nothing changed; the old job (if any) still runs.
 * - `failed`: a first deployment (nothing to roll back to) did not become healthy; its job is stopped.
 * - `rollback-failed`: the new version failed and so did the previous one from the same savepoint; a person must act.
 */
export const DEPLOYMENT_TRANSITIONS: { readonly [From in DeploymentPhase]: readonly DeploymentPhase[] } = {
  locating: ['savepointing', 'stopping', 'submitting', 'aborted'],
  savepointing: ['submitting', 'aborted'],
  stopping: ['submitting', 'aborted'],
  submitting: ['verifying', 'rolling-back', 'failed'],
  verifying: ['deployed', 'rolling-back', 'failed'],
  'rolling-back': ['verifying-rollback', 'rollback-failed'],
  'verifying-rollback': ['rolled-back', 'rollback-failed'],
  deployed: [],
  'rolled-back': [],
  aborted: [],
  failed: [],
  'rollback-failed': [],
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
