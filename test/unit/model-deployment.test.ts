import { describe, expect, it } from 'vitest';
import { DeploymentError } from '../../src/serving/deployment-errors.js';
import { fromDeploymentValue, InMemoryDeploymentLog, toDeploymentValue } from '../../src/serving/deployment-log.js';
import { applyDeploymentChange, describeDeployment, type ModelDeployment } from '../../src/serving/model-deployment.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { schemaFilePath, topicDeclaration } from '../../src/streaming/topic-catalogue.js';

const sha = (digit: string): string => digit.repeat(64);
const v1 = { version: 1, sha256: sha('1') };
const v2 = { version: 2, sha256: sha('2') };
const by = { updatedBy: 'alice', reason: 'test' };
const NOW = 1_700_000_000_000;

const deploy = (current: ModelDeployment | undefined, change: Parameters<typeof applyDeploymentChange>[2]): ModelDeployment =>
  applyDeploymentChange(current, 'fraud', change, NOW, 'tributary.features');

describe('model deployment changes', () => {
  it('starts a never-deployed model at revision 1 on the default feature topic and counts revisions up', () => {
    const first = deploy(undefined, { champion: v1, ...by });
    expect(first).toMatchObject({ model: 'fraud', revision: 1, featuresTopic: 'tributary.features', champion: v1, challenger: null, challengerMode: 'NONE', challengerShare: 0 });
    const second = deploy(first, { challenger: v2, challengerMode: 'SPLIT', challengerShare: 0.1, updatedBy: 'workflow:rollout:fraud', reason: 'step 10%' });
    expect(second).toMatchObject({ revision: 2, champion: v1, challenger: v2, challengerMode: 'SPLIT', challengerShare: 0.1, updatedBy: 'workflow:rollout:fraud' });
    expect(describeDeployment(second)).toBe('fraud r2: champion v1, challenger v2 SPLIT 10% (features tributary.features)');
  });

  it('removing the challenger resets its mode and share, and leaving SPLIT drops the share', () => {
    const split = deploy(deploy(undefined, { champion: v1, ...by }), { challenger: v2, challengerMode: 'SPLIT', challengerShare: 0.5, ...by });
    expect(deploy(split, { challenger: null, ...by })).toMatchObject({ challenger: null, challengerMode: 'NONE', challengerShare: 0 });
    expect(deploy(split, { challengerMode: 'SHADOW', ...by })).toMatchObject({ challenger: v2, challengerMode: 'SHADOW', challengerShare: 0 });
  });

  it('refuses a change that breaks the rules, naming every broken rule and who asked', () => {
    const withChampion = deploy(undefined, { champion: v1, ...by });
    expect(() => deploy(withChampion, { challengerMode: 'SPLIT', challengerShare: 1.5, ...by })).toThrow(
      new DeploymentError('fraud', 'the change by alice is refused: the challenger share must be a fraction from 0 to 1, got 1.5; challenger mode SPLIT needs a challenger'),
    );
    expect(() => deploy(withChampion, { challenger: { version: 1, sha256: sha('1') }, challengerMode: 'SHADOW', ...by })).toThrow('v1 cannot be both champion and challenger');
    expect(() => deploy(undefined, { champion: { version: 0, sha256: 'ABC' }, ...by })).toThrow(
      'deployment of fraud: the change by alice is refused: the champion version must be a whole number of at least 1, got 0; the champion\'s sha256 must be 64 lowercase hex digits, got "ABC"',
    );
    expect(() => deploy(withChampion, { updatedBy: ' ', reason: '' })).toThrow('who made the change (updatedBy) must be given; the reason for the change must be given');
  });

  it('round-trips through the Avro schema of the deployments topic, handoff offsets included', () => {
    const type = loadSchemaFile(schemaFilePath(topicDeclaration('deployments').valueSchema)).type;
    const moved = deploy(deploy(undefined, { champion: v1, ...by }), {
      featuresTopic: 'tributary.features.v2',
      featuresHandoff: { previousTopic: 'tributary.features', overlapFrom: [{ partition: 0, offset: '41' }, { partition: 1, offset: '7' }] },
      ...by,
    });
    const decoded = fromDeploymentValue(type.fromBuffer(type.toBuffer(toDeploymentValue(moved))) as Parameters<typeof fromDeploymentValue>[0]);
    expect(decoded).toEqual(moved);
  });
});

describe('in-memory deployment log', () => {
  it('hands a follower the current deployment, then every later revision in order, and keeps going after a listener fails', async () => {
    const log = new InMemoryDeploymentLog('tributary.features', () => NOW);
    await log.publish('fraud', { champion: v1, ...by });
    const seen: number[] = [];
    const failures: string[] = [];
    const subscription = await log.follow(
      'fraud',
      (deployment) => {
        seen.push(deployment.revision);
        if (deployment.revision === 2) throw new Error('listener broke');
      },
      (error) => failures.push(String(error)),
    );
    await log.publish('fraud', { challenger: v2, challengerMode: 'SHADOW', ...by });
    await log.publish('other', { champion: v1, ...by });
    await log.publish('fraud', { challenger: null, ...by });
    await subscription.stop();
    await log.publish('fraud', { champion: v2, ...by });
    expect(seen).toEqual([1, 2, 3]);
    expect(failures).toEqual(['Error: listener broke']);
    expect((await log.all()).map((deployment) => [deployment.model, deployment.revision])).toEqual([
      ['fraud', 4],
      ['other', 1],
    ]);
  });
});
