/**
 * `tributary status` degrades per section: with every service unreachable each section says so
 * in one line with the service's own reason (not "no answer within", so nothing waited for the
 * section timeout), a section that outlives its timeout says that, and the screen renders tables
 * from a report. How long the report takes with everything down is measured by
 * `npm run bench -- status-unavailable`, not limited here.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { renderStatusReport } from '../../src/status/render-status.js';
import { gatherSection } from '../../src/sections/section.js';
import { gatherStatusReport, type StatusReport } from '../../src/status/status-report.js';

const base = loadConfig();
/** Every endpoint on a closed port. */
const everythingDown: TributaryConfig = {
  ...base,
  kafka: { ...base.kafka, brokers: ['127.0.0.1:1'] },
  temporal: { ...base.temporal, address: '127.0.0.1:1' },
  flink: { ...base.flink, restUrl: 'http://127.0.0.1:1' },
  stack: { ...base.stack, mode: 'docker' },
};

describe('gatherStatusReport with every service down', () => {
  it('makes each section unavailable with the reason its service gave, none by waiting for the section timeout', async () => {
    const report = await gatherStatusReport(everythingDown, { timeoutMs: 10_000, kafkaProbeTimeoutMs: 1_000 });
    expect(report.stack).toEqual({ available: false, reason: 'the stack runs in Docker (stack.mode=docker); see `tributary stack status`' });
    const kafkaDown = expect.stringMatching(/^Kafka at 127\.0\.0\.1:1 is unreachable: /);
    expect(report.models).toEqual({ available: false, reason: kafkaDown });
    expect(report.deployments).toEqual({ available: false, reason: kafkaDown });
    expect(report.scorers).toEqual({ available: false, reason: kafkaDown });
    expect(report.latency).toEqual({ available: false, reason: kafkaDown });
    expect(report.workflows).toEqual({ available: false, reason: expect.stringMatching(/^no list of models to ask about \(Kafka at 127\.0\.0\.1:1 is unreachable: /) });
    expect(report.flink).toEqual({ available: false, reason: expect.stringContaining('127.0.0.1:1') });

    const screen = renderStatusReport(report);
    const unavailableLines = screen.split('\n').filter((line) => line.startsWith('  unavailable: '));
    expect(unavailableLines).toHaveLength(7);
  }, 20_000);
});

describe('gatherSection', () => {
  it('turns a hang into "no answer within" and a failure into its message', async () => {
    expect(await gatherSection(() => new Promise<never>(() => undefined), 50)).toEqual({ available: false, reason: 'no answer within 0.05 s' });
    expect(await gatherSection(() => Promise.reject(new Error('connection refused')), 1000)).toEqual({ available: false, reason: 'connection refused' });
    expect(await gatherSection(() => Promise.resolve(3), 1000)).toEqual({ available: true, value: 3 });
  });
});

describe('renderStatusReport', () => {
  it('renders each section as a table under its heading', () => {
    const at = Date.UTC(2026, 0, 1, 12, 0, 0);
    const report: StatusReport = {
      at,
      stack: { available: true, value: [{ name: 'kafka', state: 'healthy', detail: '4.1.1' }] },
      models: { available: true, value: [{ model: 'fraud', versions: 3, champion: 2, challenger: 3, championMetrics: { rocAuc: 0.98765, prAuc: 0.8 }, latest: { version: 3, stage: 'challenger' } }] },
      deployments: {
        available: true,
        value: [
          {
            model: 'fraud',
            revision: 4,
            featuresTopic: 'tributary.features',
            featuresHandoff: null,
            champion: { version: 2, sha256: 'a'.repeat(64) },
            challenger: { version: 3, sha256: 'b'.repeat(64) },
            challengerMode: 'SPLIT',
            challengerShare: 0.1,
            updatedAt: at - 90_000,
            updatedBy: 'workflow:rollout:fraud',
            reason: 'step 1',
          },
        ],
      },
      workflows: { available: true, value: [{ model: 'fraud', kind: 'drift-monitor', workflowId: 'drift-monitor:fraud', state: 'RUNNING', summary: 'checking; stable' }] },
      scorers: { available: true, value: { scoresPerSecond: 41.25, groups: [{ model: 'fraud', group: 'tributary.scorer.fraud', featuresTopic: 'tributary.features', groupState: 'Stable', members: 2, lag: 17 }] } },
      latency: {
        available: true,
        value: [
          {
            pipeline: 'fraud',
            scoresTopic: 'tributary.fraud.scores',
            latency: { scores: 1200, newestScoredAt: at - 3_000, stages: { sourceToFeatures: { p50: 4971, p99: 5682 }, featuresToScore: { p50: 35, p99: 10_028 }, sourceToScore: { p50: 5006, p99: 15_288 } } },
          },
          { pipeline: 'delivery', scoresTopic: 'tributary.delivery.scores', latency: undefined },
          { pipeline: 'rides', scoresTopic: 'tributary.rides.scores', latency: undefined, problem: 'the topic does not exist' },
        ],
      },
      flink: { available: false, reason: 'connect ECONNREFUSED 127.0.0.1:8081' },
    };
    expect(renderStatusReport(report)).toBe(
      [
        'Tributary status at 2026-01-01T12:00:00Z',
        '',
        'STACK',
        '  COMPONENT  STATE    DETAIL',
        '  kafka      healthy  4.1.1',
        '',
        'MODELS',
        '  MODEL  VERSIONS  CHAMPION  CHALLENGER  ROC-AUC  PR-AUC  LATEST',
        '  fraud  3         v2        v3          0.988    0.800   v3 challenger',
        '',
        'DEPLOYMENTS (traffic)',
        '  MODEL  REV  CHAMPION  CHALLENGER  MODE   SHARE  FEATURES TOPIC      UPDATED   BY                      REASON',
        '  fraud  4    v2        v3          SPLIT  10 %   tributary.features  90 s ago  workflow:rollout:fraud  step 1',
        '',
        'WORKFLOWS',
        '  MODEL  WORKFLOW             STATE    SUMMARY',
        '  fraud  drift-monitor:fraud  RUNNING  checking; stable',
        '',
        'SCORERS',
        '  scores written: 41.3/s over the last minute (all models)',
        '  MODEL  GROUP                   STATE   MEMBERS  LAG  FEATURES TOPIC',
        '  fraud  tributary.scorer.fraud  Stable  2        17   tributary.features',
        '',
        'LATENCY (newest scores of each deployed model, wall clock)',
        '  MODEL     SCORES  NEWEST   SOURCE→FEATURES p50/p99  FEATURES→SCORE p50/p99  SOURCE→SCORE p50/p99',
        '  fraud     1200    3 s ago  4971 ms / 5682 ms        35 ms / 10.0 s          5006 ms / 15.3 s',
        '  delivery  0       -        -                        -                       no scores on tributary.delivery.scores yet',
        '  rides     0       -        -                        -                       tributary.rides.scores unreadable: the topic does not exist',
        '',
        'FLINK',
        '  unavailable: connect ECONNREFUSED 127.0.0.1:8081',
      ].join('\n'),
    );
  });
});
