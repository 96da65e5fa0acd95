/** The closing summary of the fraud example's demo, as text tables for a terminal. */
import { renderTable } from '../../../src/terminal/text-table.js';
import { formatShare } from '../../../src/serving/model-deployment.js';
import { formatPercentiles } from '../../../src/status/stage-latency.js';
import type { DemoSummary } from './demo-run.js';

const metric = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(3));
const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const LONGEST_REASON = 100;
/** The first part of a long reason (the decision log in `tributary rollout status` has all of it). */
const shorten = (text: string): string => (text.length <= LONGEST_REASON ? text : `${text.slice(0, LONGEST_REASON - 1)}…`);
const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function renderDemoSummary(summary: DemoSummary): string {
  const sections: string[] = [];
  sections.push(`Demo ${summary.runId} finished in ${seconds(summary.elapsedMs)}: model ${summary.model}, topics ${summary.topicPrefix}*, task queue ${summary.taskQueue}`);

  sections.push(
    renderTable(
      ['VERSION', 'STAGE', 'ROC AUC', 'PR AUC', 'RECALL', 'FPR', 'TRAINED ON'],
      summary.versions.map((version) => [
        `v${version.version}`,
        version.stage,
        metric(version.metrics.rocAuc),
        metric(version.metrics.prAuc),
        metric(version.metrics.recall),
        metric(version.metrics.falsePositiveRate),
        `${version.lineage.offsetRanges.reduce((sum, range) => sum + Number(BigInt(range.toOffset) - BigInt(range.fromOffset)), 0)} examples`,
      ]),
    ),
  );

  sections.push(
    renderTable(
      ['REVISION', 'CHAMPION', 'CHALLENGER', 'TRAFFIC', 'BY', 'REASON'],
      summary.deployments.map((deployment) => [
        `r${deployment.revision}`,
        deployment.champion ? `v${deployment.champion.version}` : '-',
        deployment.challenger ? `v${deployment.challenger.version}` : '-',
        deployment.challengerMode === 'SPLIT' ? formatShare(deployment.challengerShare) : deployment.challengerMode === 'SHADOW' ? 'shadow' : '-',
        deployment.updatedBy,
        shorten(deployment.reason),
      ]),
    ),
  );

  const { audit } = summary;
  const comparison = summary.streamingVersusBatch;
  const upgrade = summary.featureJobUpgrade;
  sections.push(
    renderTable(
      ['FIGURE', 'VALUE'],
      [
        ['rollout', shorten(summary.rolloutOutcome)],
        ['transactions scored', `${audit.scored} of ${audit.transactions} (${audit.missing} missing, ${audit.duplicates} duplicates)`],
        ['scores per version', Object.entries(audit.byVersion).map(([version, count]) => `${version}: ${count}`).join(', ') || '-'],
        ['scores per variant', Object.entries(audit.byVariant).map(([variant, count]) => `${variant}: ${count}`).join(', ') || '-'],
        ['dead letters', String(audit.deadLetters)],
        [
          'latency p50 / p99 (wall clock)',
          audit.wallClockLatency === undefined
            ? '-'
            : `sent → features ${formatPercentiles(audit.wallClockLatency.stages.sourceToFeatures)}, features → score ${formatPercentiles(audit.wallClockLatency.stages.featuresToScore)}, ` +
              `sent → score ${formatPercentiles(audit.wallClockLatency.stages.sourceToScore)} (${audit.wallClockLatency.scores} transactions sent once the first champion was served)`,
        ],
        [
          'time-lapse',
          `event times run ${summary.timeLapse}× faster than the clock, so a score's end_to_end_ms (scored_at − event_time) is not a latency here; ` +
            'the latency above starts when the simulator sent each transaction',
        ],
        ['trigger reaction', summary.triggerReactionMs.length === 0 ? '-' : summary.triggerReactionMs.map((ms) => seconds(ms)).join(', ')],
        ['model hot swaps', `${summary.swaps.count}, mean ${summary.swaps.meanMs === undefined ? '-' : `${summary.swaps.meanMs.toFixed(1)} ms`}`],
        [
          'feature job upgrade',
          `${upgrade.fromVersion ?? '-'} → ${upgrade.toVersion}: ${upgrade.outcome}, output gap ${upgrade.outputGap === undefined ? 'not measured' : seconds(upgrade.outputGap.gapMs)} (old job stopped → new job RUNNING: ${seconds(upgrade.stopToRunningMs)})`,
        ],
        [
          'streaming vs. batch',
          'unavailable' in comparison
            ? `not measured: ${comparison.unavailable}`
            : `at recall ${comparison.recall}: retrained v${comparison.retrained.version} FPR ${percent(comparison.retrained.falsePositiveRate)} vs. frozen v${comparison.frozen.version} ${percent(comparison.frozen.falsePositiveRate)} ` +
              `(${comparison.falsePositiveReduction >= 0 ? `${percent(comparison.falsePositiveReduction)} fewer` : `${percent(-comparison.falsePositiveReduction)} more`} false positives, ${comparison.examples} post-drift examples, ${comparison.frauds} fraud)`,
        ],
      ],
    ),
  );

  sections.push(renderTable(['WORKFLOW', 'TEMPORAL UI'], summary.workflowLinks.map((link) => [link.what, link.url])));
  return sections.join('\n\n');
}
