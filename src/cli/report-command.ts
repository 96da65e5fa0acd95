import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { duration, modelName } from './trigger-command.js';

/** `tributary report <model>`: one self-contained HTML page of the model's quality on live traffic, its rollout and its drift. */
export function reportCommand(cli: CliEnvironment): Command {
  return new Command('report')
    .description('write a self-contained HTML report of a model: on labelled traffic, a classifier\'s ROC and precision-recall curves, confusion matrix and score histogram, or a regression model\'s MAE, RMSE, R² and predictions; champion vs challenger over the rollout, drift figures')
    .argument('<model>', 'model name', modelName)
    .option('--out <file>', 'where to write the HTML page (default: report-<model>.html)')
    .option('--records <n>', 'newest records read from each of the scores and labels topics', positiveInteger, 50_000)
    .option('--timeout <duration>', 'longest read of one topic', duration, duration('2m'))
    .action(async (model: string, options: { out?: string; records: number; timeout: number }) => {
      // Imported here, not at the top, so `--help` does not load the Kafka and Temporal clients.
      const [{ gatherModelReport }, { renderReportHtml }] = await Promise.all([import('../report/gather-report.js'), import('../report/render-report.js')]);
      const report = await gatherModelReport(cli.config(), model, { records: options.records, readTimeoutMs: options.timeout });
      const file = resolve(options.out ?? `report-${model}.html`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, renderReportHtml(report));
      const labelled = report.evaluations.map((evaluation) => `v${evaluation.version} ${evaluation.labelled} labelled of ${evaluation.scored}`).join(', ');
      cli.print(`wrote the report of ${model} to ${file} (${report.versions.length} versions${labelled === '' ? '' : `; ${labelled}`})`);
    });
}
