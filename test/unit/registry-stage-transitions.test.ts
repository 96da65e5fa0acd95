import { describe, expect, it } from 'vitest';
import { StageTransitionError } from '../../src/registry/errors.js';
import { assertStageTransition, STAGE_TRANSITIONS } from '../../src/registry/stage-transitions.js';

const noChampion = { currentChampion: undefined };

describe('stage transitions', () => {
  it('lists exactly these transitions', () => {
    expect(STAGE_TRANSITIONS).toEqual({
      candidate: ['rejected', 'challenger', 'champion', 'archived'],
      challenger: ['champion', 'rejected', 'archived'],
      champion: ['archived'],
      rejected: ['archived'],
      archived: ['champion', 'challenger'],
    });
  });

  it('allows every listed transition while the model has no champion', () => {
    for (const [from, targets] of Object.entries(STAGE_TRANSITIONS)) {
      for (const to of targets) expect(() => assertStageTransition('fraud', 1, from as keyof typeof STAGE_TRANSITIONS, to, noChampion)).not.toThrow();
    }
  });

  it('refuses an unlisted transition naming the version, from, to and the allowed targets', () => {
    const attempt = (): void => assertStageTransition('fraud', 3, 'champion', 'challenger', noChampion);
    expect(attempt).toThrow(StageTransitionError);
    expect(attempt).toThrow('cannot move fraud version 3 from champion to challenger; allowed from champion: archived');
    expect(() => assertStageTransition('fraud', 4, 'rejected', 'champion', noChampion)).toThrow('cannot move fraud version 4 from rejected to champion; allowed from rejected: archived');
    expect(() => assertStageTransition('fraud', 5, 'candidate', 'candidate', noChampion)).toThrow(
      'cannot move fraud version 5 from candidate to candidate; allowed from candidate: rejected, challenger, champion, archived',
    );
  });

  it('lets a candidate become champion directly only while the model has none', () => {
    const error = ((): unknown => {
      try {
        assertStageTransition('fraud', 2, 'candidate', 'champion', { currentChampion: 1 });
        return undefined;
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(StageTransitionError);
    expect(error).toMatchObject({ model: 'fraud', version: 2, stage: 'candidate', from: 'candidate', to: 'champion' });
    expect((error as Error).message).toBe(
      'cannot move fraud version 2 from candidate to champion: a candidate becomes champion directly only while the model has none, and version 1 is champion; make version 2 the challenger first',
    );
    expect(() => assertStageTransition('fraud', 2, 'challenger', 'champion', { currentChampion: 1 })).not.toThrow();
  });
});
