/**
 * The life of a model version as a state machine: an explicit table of allowed stage transitions
 * and a guard that throws on any other. Every registry implementation changes stages through
 * {@link assertStageTransition}, so the rules exist once.
 */
import { StageTransitionError } from './errors.js';
import type { ModelStage } from './model-registry.js';

/**
 * Allowed targets from each stage.
 * - candidate: judged (rejected), put on live traffic (challenger), retired (archived), or made
 *   champion directly — only while the model has no champion, to bootstrap its first one.
 * - challenger: promoted, rolled back (rejected) or withdrawn (archived).
 * - champion: replaced, which archives it.
 * - rejected: kept for the record; may only be archived.
 * - archived: restored as champion (rolling back a promotion) or as challenger (a new trial).
 */
export const STAGE_TRANSITIONS: { readonly [From in ModelStage]: readonly ModelStage[] } = {
  candidate: ['rejected', 'challenger', 'champion', 'archived'],
  challenger: ['champion', 'rejected', 'archived'],
  champion: ['archived'],
  rejected: ['archived'],
  archived: ['champion', 'challenger'],
};

/** What the guard needs to know about the model beyond the version's own stage. */
export interface TransitionContext {
  /** The version that is champion now, if any. */
  readonly currentChampion: number | undefined;
}

/** Whether the table allows `from` → `to` at all. */
export function isTransitionListed(from: ModelStage, to: ModelStage): boolean {
  return STAGE_TRANSITIONS[from].includes(to);
}

/**
 * Throws {@link StageTransitionError} naming the version, `from`, `to` and the allowed targets
 * when the table does not allow the transition, or when candidate → champion is asked while the
 * model already has a champion (a candidate earns that place as challenger first).
 */
export function assertStageTransition(model: string, version: number, from: ModelStage, to: ModelStage, context: TransitionContext): void {
  if (!isTransitionListed(from, to)) throw new StageTransitionError(model, version, from, to, STAGE_TRANSITIONS[from]);
  if (from === 'candidate' && to === 'champion' && context.currentChampion !== undefined) {
    throw new StageTransitionError(
      model,
      version,
      from,
      to,
      STAGE_TRANSITIONS[from],
      `a candidate becomes champion directly only while the model has none, and version ${context.currentChampion} is champion; make version ${version} the challenger first`,
    );
  }
}
