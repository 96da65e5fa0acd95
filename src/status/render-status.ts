/** `tributary status` as one screen of text: a heading per section, a table or "unavailable: <reason>". */
import { renderTable } from '../terminal/text-table.js';
import type { Section } from '../sections/section.js';
import { formatPercentiles as pair } from './stage-latency.js';
import type { StatusReport } from './status-report.js';

const time = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
const age = (now: number, epochMs: number): string => {
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  return seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
};
const metric = (metrics: Readonly<Record<string, number>>, name: string): string => (metrics[name] === undefined ? '-' : metrics[name].toFixed(3));

function block<Value>(title: string, section: Section<Value>, render: (value: Value) => string): string {
  return `${title}\n${section.available ? render(section.value) : `  unavailable: ${section.reason}`}`;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
const table = (header: readonly string[], rows: readonly (readonly string[])[], empty: string): string => (rows.length === 0 ? `  ${empty}` : indent(renderTable(header, rows)));

export function renderStatusReport(report: StatusReport): string {
  const now = report.at;
  return [
    `Tributary status at ${time(now)}`,
    block('STACK', report.stack, (rows) => table(['COMPONENT', 'STATE', 'DETAIL'], rows.map((row) => [row.name, row.state, row.detail]), 'no components')),
    block('MODELS', report.models, (rows) =>
      table(
        ['MODEL', 'VERSIONS', 'CHAMPION', 'CHALLENGER', 'ROC-AUC', 'PR-AUC', 'LATEST'],
        rows.map((row) => [
          row.model,
          String(row.versions),
          row.champion === null ? '-' : `v${row.champion}`,
          row.challenger === null ? '-' : `v${row.challenger}`,
          metric(row.championMetrics, 'rocAuc'),
          metric(row.championMetrics, 'prAuc'),
          row.latest === null ? '-' : `v${row.latest.version} ${row.latest.stage}`,
        ]),
        'no models registered yet',
      ),
    ),
    block('DEPLOYMENTS (traffic)', report.deployments, (rows) =>
      table(
        ['MODEL', 'REV', 'CHAMPION', 'CHALLENGER', 'MODE', 'SHARE', 'FEATURES TOPIC', 'UPDATED', 'BY', 'REASON'],
        rows.map((row) => [
          row.model,
          String(row.revision),
          row.champion === null ? '-' : `v${row.champion.version}`,
          row.challenger === null ? '-' : `v${row.challenger.version}`,
          row.challengerMode,
          `${(row.challengerShare * 100).toFixed(0)} %`,
          row.featuresTopic,
          age(now, row.updatedAt),
          row.updatedBy,
          row.reason,
        ]),
        'no model deployed yet',
      ),
    ),
    block('WORKFLOWS', report.workflows, (rows) => table(['MODEL', 'WORKFLOW', 'STATE', 'SUMMARY'], rows.map((row) => [row.model, row.workflowId, row.state, row.summary]), 'no models')),
    block('SCORERS', report.scorers, ({ scoresPerSecond, groups }) =>
      [
        `  scores written: ${scoresPerSecond.toFixed(1)}/s over the last minute (all models)`,
        table(['MODEL', 'GROUP', 'STATE', 'MEMBERS', 'LAG', 'FEATURES TOPIC'], groups.map((row) => [row.model, row.group, row.groupState, String(row.members), String(row.lag), row.featuresTopic]), 'no deployed model to score'),
      ].join('\n'),
    ),
    block('LATENCY (newest scores of each deployed model, wall clock)', report.latency, (rows) =>
      table(
        ['MODEL', 'SCORES', 'NEWEST', 'SOURCE→FEATURES p50/p99', 'FEATURES→SCORE p50/p99', 'SOURCE→SCORE p50/p99'],
        rows.map((row) =>
          row.latency === undefined
            ? [row.pipeline, '0', '-', '-', '-', row.problem === undefined ? `no scores on ${row.scoresTopic} yet` : `${row.scoresTopic} unreadable: ${row.problem}`]
            : [
                row.pipeline,
                String(row.latency.scores),
                age(now, row.latency.newestScoredAt),
                pair(row.latency.stages.sourceToFeatures),
                pair(row.latency.stages.featuresToScore),
                pair(row.latency.stages.sourceToScore),
              ],
        ),
        'no deployed model',
      ),
    ),
    block('FLINK', report.flink, (rows) =>
      table(
        ['JOB', 'STATE', 'STARTED', 'LAST CHECKPOINT', 'FAILED CHECKPOINTS'],
        rows.map((row) => [
          row.name,
          row.state,
          age(now, row.startedAt),
          row.lastCheckpoint === null ? '-' : `#${row.lastCheckpoint.id} ${age(now, row.lastCheckpoint.completedAt)} (${row.lastCheckpoint.durationMs} ms)`,
          String(row.failedCheckpoints),
        ]),
        'no jobs',
      ),
    ),
  ].join('\n\n');
}
